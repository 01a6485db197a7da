"use client";
import { serveSnippets } from "@autoglm/protocol";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";

/** A copy button for any text (clipboard), saying "Copied" once done. */
export function CopyButton({ text, testId }: { text: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      data-testid={testId}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** The model's features per row, from the registry signature of the version served (null: unknown). */
function useInputWidth(model: string, version: number | null): number | null {
  const trpc = useTRPC();
  const v = useQuery({ ...trpc.model.resolve.queryOptions({ ref: `${model}/${version ?? 0}` }), enabled: version !== null });
  return v.data?.signature?.inputs.shape[1] ?? null;
}

/**
 * Copy-paste calls of the endpoint: curl for MLflow `/invocations` and KServe v2 `infer` with an
 * example row of the model's width, the OpenAI clients for language models. `keyValue` null puts
 * `$AUTOGLM_ENDPOINT_KEY` where the key goes (keys are shown once).
 */
export function ServeSnippets(props: {
  url: string;
  endpoint: string;
  keyValue: string | null;
  protocols: string[];
  model: string;
  version: number | null;
}) {
  const width = useInputWidth(props.model, props.version);
  const snippets = serveSnippets({
    url: props.url,
    endpoint: props.endpoint,
    key: props.keyValue,
    protocols: props.protocols,
    inputWidth: width,
  });
  return (
    <div className="stack" data-testid="serve-snippets">
      {props.keyValue === null ? (
        <div className="muted" style={{ fontSize: 12.5 }}>
          Set <code>AUTOGLM_ENDPOINT_KEY</code> to one of the endpoint&apos;s keys (create one below or with{" "}
          <code>autoglm endpoint key create {props.endpoint}</code>).
        </div>
      ) : null}
      {snippets.map((s) => (
        <div key={s.id} data-testid={`snippet-${s.id}`}>
          <div className="row" style={{ justifyContent: "space-between" }}>
            <strong style={{ fontSize: 13 }}>{s.title}</strong>
            <CopyButton text={s.code} testId={`copy-${s.id}`} />
          </div>
          <pre
            className="mono"
            style={{ whiteSpace: "pre-wrap", wordBreak: "break-all", fontSize: 12 }}
            data-testid={`code-${s.id}`}
          >
            {s.code}
          </pre>
        </div>
      ))}
    </div>
  );
}

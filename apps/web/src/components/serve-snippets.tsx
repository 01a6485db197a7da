"use client";
import { serveSnippets } from "@autoglm/protocol";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Loading } from "@/components/ui";
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

/**
 * The model's features per row, from the registry signature of the version served (width null:
 * unknown). While a newly served version's signature loads, the previous version's width stands
 * in (`loading` only before any is known): an example row of the wrong width is a 400 for
 * whoever copies it, which the endpoint's page showed for a moment each time its alias moved.
 */
function useInputWidth(model: string, version: number | null): { width: number | null; loading: boolean } {
  const trpc = useTRPC();
  const v = useQuery({
    ...trpc.model.resolve.queryOptions({ ref: `${model}/${version ?? 0}` }),
    enabled: version !== null,
    placeholderData: keepPreviousData,
  });
  return { width: v.data?.signature?.inputs.shape[1] ?? null, loading: version !== null && v.isPending };
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
  const { width, loading } = useInputWidth(props.model, props.version);
  if (loading) return <Loading label="Reading the model's input…" />;
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

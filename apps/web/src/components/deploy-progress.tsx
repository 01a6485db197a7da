"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ServeSnippets } from "@/components/serve-snippets";
import { ErrorNote, SecretReveal } from "@/components/ui";
import { absoluteUrl, endpointPagePath, rolloutOf } from "@/lib/endpoint-view";
import { useTRPC } from "@/lib/trpc";

/** What a deploy gave: the endpoint moved to `version`, and a key when one was made (shown once). */
export interface TDeployed {
  endpoint: string;
  model: string;
  version: number;
  url: string;
  protocols: string[];
  key: string | null;
}

/** The page's origin (empty during the server render; the URL is only shown once the client runs). */
function useOrigin(): string {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  return origin;
}

/**
 * After a deploy: the rollout polled every second until a replica of the version is ready (or
 * failed, with its reason), then the URL, the key (shown once) and the copy-paste snippets.
 */
export function DeployProgress({ deployed }: { deployed: TDeployed }) {
  const trpc = useTRPC();
  const origin = useOrigin();
  const endpoint = useQuery({
    ...trpc.endpoint.get.queryOptions({ name: deployed.endpoint }),
    refetchInterval: (q) =>
      q.state.data && rolloutOf(q.state.data.replicas, deployed.version).phase !== "waiting" ? false : 1000,
  });
  const rollout = endpoint.data ? rolloutOf(endpoint.data.replicas, deployed.version) : null;
  const url = absoluteUrl(deployed.url, origin);
  return (
    <div className="stack" data-testid="deploy-progress" data-phase={rollout?.phase ?? "waiting"}>
      <div className={`notice ${rollout?.phase === "failed" ? "notice-error" : rollout?.phase === "ready" ? "notice-ok" : ""}`}>
        <strong>
          {deployed.model} version {deployed.version}
        </strong>{" "}
        → endpoint{" "}
        <Link href={endpointPagePath(deployed.endpoint)} data-testid="deploy-endpoint-link">
          {deployed.endpoint}
        </Link>
        : <span data-testid="deploy-status">{rollout?.text ?? "Starting…"}</span>
      </div>
      {endpoint.error ? <ErrorNote error={endpoint.error} /> : null}
      {deployed.key ? (
        <SecretReveal
          title="Endpoint key"
          value={deployed.key}
          warning="Shown this once: copy it now. Requests send it as Authorization: Bearer …"
          testId="deploy-key"
        />
      ) : null}
      {rollout?.phase === "ready" && origin ? (
        <>
          <div>
            URL:{" "}
            <code className="mono" data-testid="deploy-url">
              {url}
            </code>
          </div>
          <ServeSnippets
            url={url}
            endpoint={deployed.endpoint}
            keyValue={deployed.key}
            protocols={deployed.protocols}
            model={deployed.model}
            version={deployed.version}
          />
        </>
      ) : null}
    </div>
  );
}

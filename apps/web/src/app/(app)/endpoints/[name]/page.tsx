"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { ServeSnippets } from "@/components/serve-snippets";
import { ConfirmButton, ErrorNote, Loading } from "@/components/ui";
import { absoluteUrl } from "@/lib/endpoint-view";
import { modelPath } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";
import { KeysCard } from "./keys-card";
import { RefusalNote } from "./refusal-note";
import { HistoryCard, ReplicasCard } from "./replicas-card";
import { ScalingCard } from "./scaling-card";

export default function EndpointPage() {
  const params = useParams<{ name: string }>();
  const name = decodeSegment(params.name);
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { canWrite } = useOrg();
  // Replicas change state as agents load and drain them: refresh every 2 s.
  const endpoint = useQuery({ ...trpc.endpoint.get.queryOptions({ name }), refetchInterval: 2000 });
  const remove = useMutation(
    trpc.endpoint.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries(trpc.endpoint.pathFilter());
        router.push("/endpoints");
      },
    }),
  );
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);

  if (endpoint.isPending) return <Loading />;
  if (endpoint.error) return <ErrorNote error={endpoint.error} />;
  const e = endpoint.data;
  const url = absoluteUrl(e.url, origin);
  return (
    <>
      <div className="crumbs">
        <Link href="/endpoints">Endpoints</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1 data-testid="endpoint-name">{e.name}</h1>
          <div className="sub">
            serves <Link href={modelPath(e.model)}>{e.model}</Link>
            {e.alias ? `@${e.alias}` : ""} →{" "}
            <span data-testid="endpoint-version">{e.targetVersion !== null ? `v${e.targetVersion}` : "no version"}</span>
            {" · "}
            {e.replicaCounts.ready}/{e.scaling.desiredReplicas} ready · {e.resources.gpus} GPU per replica ·{" "}
            {e.protocols.join(", ")}
          </div>
          <div className="sub mono" data-testid="endpoint-url">
            {url}
          </div>
        </div>
        {canWrite ? (
          <ConfirmButton
            label="Delete"
            confirmLabel="Delete endpoint"
            question="Its keys stop working at once and its replicas drain."
            onConfirm={() => remove.mutate({ name: e.name })}
            pending={remove.isPending}
            testId="endpoint-delete"
          />
        ) : null}
      </div>
      {remove.error ? <ErrorNote error={remove.error} /> : null}
      <RefusalNote endpoint={e} />
      <ScalingCard endpoint={e} />
      <ReplicasCard replicas={e.replicas} />
      <div className="grid-2" style={{ margin: "16px 0" }}>
        <KeysCard endpoint={e.name} keys={e.keys} />
        <HistoryCard revisions={e.revisions} />
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Call it</h2>
        </div>
        <div className="card-body">
          {origin ? (
            <ServeSnippets
              url={url}
              endpoint={e.name}
              keyValue={null}
              protocols={e.protocols}
              model={e.model}
              version={e.targetVersion}
            />
          ) : null}
        </div>
      </div>
    </>
  );
}

/** The route segment as typed; a malformed escape is passed on as is, and the server answers "Endpoint not found.". */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

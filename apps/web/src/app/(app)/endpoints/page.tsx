"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatRelative } from "@/lib/format";
import { endpointPagePath } from "@/lib/endpoint-view";
import { modelPath } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../app-shell";

/** The team's inference endpoints: what each serves, how many replicas are ready, where to call it. */
export default function EndpointsPage() {
  const trpc = useTRPC();
  const { org } = useOrg();
  // Replica counts move while agents start and drain replicas: refresh every 5 s.
  const endpoints = useQuery({ ...trpc.endpoint.list.queryOptions(), refetchInterval: 5000 });
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Endpoints</h1>
          <div className="sub">
            Inference endpoints of {org.name}, served by the team&apos;s agents (MLflow, KServe v2 and OpenAI protocols).
          </div>
        </div>
      </div>
      <div className="card">
        {endpoints.isPending ? (
          <SkeletonRows />
        ) : endpoints.error ? (
          <div className="card-body">
            <ErrorNote error={endpoints.error} />
          </div>
        ) : endpoints.data.length === 0 ? (
          <Empty title="No endpoints yet">
            Click <strong>Deploy best</strong> on a study page or <strong>Deploy this alias</strong> on a model page, or run{" "}
            <code>autoglm deploy --study STUDY_ID</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="endpoints-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Serves</th>
                  <th className="num">Ready</th>
                  <th>URL</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.data.map((e) => (
                  <tr key={e.id} data-testid="endpoint-row" data-endpoint={e.name}>
                    <td>
                      <Link href={endpointPagePath(e.name)} className="title">
                        {e.name}
                      </Link>
                    </td>
                    <td>
                      <Link href={modelPath(e.model)}>{e.model}</Link>
                      <span className="muted">
                        {e.alias ? `@${e.alias}` : ""} → {e.targetVersion !== null ? `v${e.targetVersion}` : "no version"}
                      </span>
                    </td>
                    <td className="num" data-testid="endpoint-ready">
                      {e.replicaCounts.ready}/{e.desiredReplicas}
                      {e.replicaCounts.starting + e.replicaCounts.pending > 0 ? (
                        <span className="muted"> (+{e.replicaCounts.starting + e.replicaCounts.pending} starting)</span>
                      ) : null}
                    </td>
                    <td className="mono" style={{ fontSize: 12 }}>
                      {e.path}
                    </td>
                    <td className="muted">{formatRelative(e.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

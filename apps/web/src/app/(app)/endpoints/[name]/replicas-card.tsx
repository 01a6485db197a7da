"use client";
import { revisionCause } from "@autoglm/protocol";
import { StateBadge } from "@/components/ui";
import { formatDate, formatRelative } from "@/lib/format";
import type { TEndpointDetail } from "@/lib/endpoint-view";

/** Replicas by state (starting, ready, draining, failed with the reason) and on which agent; ended ones greyed. */
export function ReplicasCard({ replicas }: { replicas: TEndpointDetail["replicas"] }) {
  return (
    <div className="card" data-testid="endpoint-replicas">
      <div className="card-head">
        <h2>Replicas</h2>
        <span className="muted">on the team&apos;s agents; traffic goes to ready ones</span>
      </div>
      {replicas.length === 0 ? (
        <div className="card-body muted">No replicas yet: waiting for an agent of the team with room.</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Replica</th>
                <th className="num">Version</th>
                <th>State</th>
                <th>Agent</th>
                <th>Since</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {replicas.map((r) => (
                <tr
                  key={r.id}
                  data-testid="replica-row"
                  data-state={r.state}
                  style={r.state === "stopped" ? { opacity: 0.55 } : undefined}
                >
                  <td className="mono">{r.id.slice(0, 8)}</td>
                  <td className="num">v{r.version}</td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td>
                    {r.agent ?? "-"}
                    {r.gpus.length ? <span className="muted"> GPU {r.gpus.join(",")}</span> : null}
                  </td>
                  <td className="muted" title={formatDate(r.endedAt ?? r.readyAt ?? r.createdAt)}>
                    {formatRelative(r.endedAt ?? r.readyAt ?? r.createdAt)}
                  </td>
                  <td data-testid="replica-reason">{r.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Which version the endpoint served when, and who moved it (deploy, alias move, update). */
export function HistoryCard({ revisions }: { revisions: TEndpointDetail["revisions"] }) {
  return (
    <div className="card" data-testid="endpoint-history">
      <div className="card-head">
        <h2>Version history</h2>
      </div>
      {revisions.length === 0 ? (
        <div className="card-body muted">No version yet.</div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Version</th>
                <th>How</th>
                <th>By</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {revisions.map((r, i) => (
                <tr key={`${r.movedAt}-${i}`} data-testid="revision-row">
                  <td>
                    <strong>v{r.version}</strong>
                  </td>
                  <td style={{ whiteSpace: "nowrap" }}>{revisionCause(r.via)}</td>
                  <td>{r.movedBy ?? "the platform"}</td>
                  <td className="muted" style={{ whiteSpace: "nowrap" }}>
                    {formatDate(r.movedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

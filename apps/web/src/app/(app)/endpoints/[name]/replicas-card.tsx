"use client";
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
      <div className="card-body">
        {revisions.length === 0 ? (
          <div className="muted">No version yet.</div>
        ) : (
          <ul className="list">
            {revisions.map((r, i) => (
              <li key={`${r.movedAt}-${i}`} data-testid="revision-row">
                <strong>v{r.version}</strong> <span className="muted">· {r.via}</span> by {r.movedBy ?? "the platform"}{" "}
                <span className="muted">{formatDate(r.movedAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

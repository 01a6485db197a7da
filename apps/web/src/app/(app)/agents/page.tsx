"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatRelative } from "@/lib/format";
import { endpointPagePath } from "@/lib/endpoint-view";
import { useLiveOrg } from "@/lib/live";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../app-shell";

/**
 * Heartbeats and agents going silent ring no doorbell (they are not domain events), so the
 * list is also re-read every 5 s: one cheap query, and "offline" shows within a poll of the
 * server deciding it.
 */
const POLL_MS = 5_000;

function formatMb(mb: number): string {
  if (!mb) return "—";
  return mb >= 1024 ? `${(mb / 1024).toFixed(mb >= 10_240 ? 0 : 1)} GiB` : `${mb} MiB`;
}

export default function AgentsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org } = useOrg();
  const agents = useQuery({ ...trpc.agent.list.queryOptions(), refetchInterval: POLL_MS });
  const { connected } = useLiveOrg(org.id, () => void queryClient.invalidateQueries(trpc.agent.list.pathFilter()));
  // "12 s ago" keeps counting between polls.
  const [, setTick] = useState(0);
  // The server URL the agent should dial is this dashboard's own (read after hydration).
  const [origin, setOrigin] = useState("URL");
  useEffect(() => {
    setOrigin(window.location.origin);
    const t = setInterval(() => setTick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, []);

  const online = agents.data?.filter((a) => a.isOnline).length ?? 0;
  return (
    <>
      <div className="page-head">
        <div>
          <div className="row">
            <h1>Agents</h1>
            <span
              className="row muted"
              style={{ fontSize: 12.5, gap: 6 }}
              title={connected ? "Live updates are on" : "Reconnecting…"}
            >
              <span
                className={`live-dot ${connected ? "on" : ""}`}
                data-testid="live-indicator"
                data-connected={connected ? "true" : "false"}
              />{" "}
              {connected ? "live" : "polling"}
            </span>
          </div>
          <div className="sub">
            The machines of {org.name} that run its studies&apos; trials
            {agents.data ? ` · ${online} of ${agents.data.length} online` : ""}.
          </div>
        </div>
      </div>
      <div className="card">
        {agents.isPending ? (
          <SkeletonRows />
        ) : agents.error ? (
          <div className="card-body">
            <ErrorNote error={agents.error} />
          </div>
        ) : agents.data.length === 0 ? (
          <div data-testid="agents-empty">
            <Empty
              title="No agents yet"
              action={
                <div className="stack" style={{ maxWidth: 640, margin: "0 auto", textAlign: "left" }}>
                  <span>
                    1. Create a token with the <strong>agent</strong> scope in <Link href="/settings/tokens">API tokens</Link>.
                  </span>
                  <span>2. On each GPU machine, run:</span>
                  <pre
                    className="card-body"
                    style={{ background: "#f6f7f9", borderRadius: 6, margin: 0 }}
                    data-testid="agent-start-command"
                  >
                    autoglm agent start --server {origin} --token T
                  </pre>
                  <span className="muted">
                    The agent reports its host, CPU cores, memory and GPUs (read with nvidia-smi) and shows up here while it runs.
                  </span>
                </div>
              }
            >
              Studies with a <code>run</code> section are executed by the team&apos;s agents.
            </Empty>
          </div>
        ) : (
          <div className="table-wrap">
            <table data-testid="agent-table">
              <thead>
                <tr>
                  <th>Agent</th>
                  <th>Status</th>
                  <th>Host</th>
                  <th>GPUs</th>
                  <th>Labels</th>
                  <th>Last heartbeat</th>
                  <th>Running</th>
                </tr>
              </thead>
              <tbody>
                {agents.data.map((a) => (
                  <tr key={a.id} data-testid="agent-row" data-agent-name={a.name} data-online={a.isOnline ? "true" : "false"}>
                    <td>
                      <strong>{a.name}</strong>
                      <div className="faint" style={{ fontSize: 12 }}>
                        {a.cpuCores} CPU · {formatMb(a.memoryMb)} · up to {a.maxTrials} trial{a.maxTrials === 1 ? "" : "s"}
                      </div>
                    </td>
                    <td>
                      <span className={`badge ${a.isOnline ? "badge-complete" : "badge-stopped"}`} data-testid="agent-status">
                        {a.isOnline ? "online" : "offline"}
                      </span>
                    </td>
                    <td className="mono">{a.host}</td>
                    <td data-testid="agent-gpus">
                      {a.gpus.length === 0 ? (
                        <span className="muted">none (CPU)</span>
                      ) : (
                        <>
                          <div className="faint" style={{ fontSize: 12 }}>
                            {a.gpusInUse} of {a.gpus.length} assigned
                          </div>
                          {a.gpus.map((g) => (
                            <div key={g.index} style={{ fontSize: 12.5, whiteSpace: "nowrap" }}>
                              <span className="mono">{g.index}</span> {g.model} · {formatMb(g.memoryMb)}
                              {g.utilizationPct !== null ? ` · ${Math.round(g.utilizationPct)}% busy` : ""}
                            </div>
                          ))}
                        </>
                      )}
                    </td>
                    <td>
                      {Object.keys(a.labels).length === 0 ? (
                        <span className="faint">—</span>
                      ) : (
                        Object.entries(a.labels).map(([k, v]) => (
                          <span key={k} className="chip">
                            {k}={v}
                          </span>
                        ))
                      )}
                    </td>
                    <td className="muted" title={a.lastHeartbeatAt ?? ""} style={{ whiteSpace: "nowrap" }}>
                      {formatRelative(a.lastHeartbeatAt)}
                    </td>
                    <td data-testid="agent-running">
                      {a.running.length === 0 && a.replicas.length === 0 ? <span className="faint">idle</span> : null}
                      {a.running.map((t) => (
                        <div key={t.trialId} style={{ whiteSpace: "nowrap" }}>
                          <Link href={`/studies/${t.studyId}/trials/${t.trialId}`} data-testid="agent-trial-link">
                            {t.studyName} #{t.number}
                          </Link>
                          {t.attempt > 1 ? <span className="faint"> (attempt {t.attempt})</span> : null}
                        </div>
                      ))}
                      {a.replicas.map((r) => (
                        <div key={r.replicaId} style={{ whiteSpace: "nowrap" }} data-testid="agent-replica">
                          <span className="faint">serves </span>
                          <Link href={endpointPagePath(r.endpoint)}>{r.endpoint}</Link>{" "}
                          <span className="muted">
                            v{r.version}
                            {r.state === "ready" ? "" : ` · ${r.state}`}
                            {r.gpus.length ? ` · GPU ${r.gpus.join(", ")}` : ""}
                          </span>
                        </div>
                      ))}
                    </td>
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

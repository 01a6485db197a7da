"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TEndpointDetail } from "@/lib/endpoint-view";

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * Autoscaling: the load now (in-flight requests summed over the servers, requests/s), the count
 * the autoscaler keeps and why, and a chart of concurrency against desired and ready replicas
 * over the last minutes (the server's in-memory history: one point per reconciler pass, 5 s).
 */
export function ScalingCard({ endpoint: e }: { endpoint: TEndpointDetail }) {
  const s = e.scaling;
  return (
    <div className="card" data-testid="endpoint-scaling" style={{ margin: "16px 0" }}>
      <div className="card-head">
        <h2>Autoscaling</h2>
        <span className="muted">
          {e.minReplicas}–{e.maxReplicas} replicas · target {e.autoscale.targetConcurrency} in flight per replica · scale down
          after {e.autoscale.scaleDownDelaySeconds} s of low load
        </span>
      </div>
      <div className="card-body">
        <div>
          <strong data-testid="scaling-desired">{s.desiredReplicas}</strong> desired ·{" "}
          <span data-testid="scaling-concurrency">{s.concurrency.toFixed(1)}</span> in flight · {s.rps.toFixed(1)} req/s
        </div>
        <div className="muted" data-testid="scaling-reason">
          {s.reason}
        </div>
        {s.history.length > 1 ? (
          <div style={{ height: 200, marginTop: 12 }} data-testid="scaling-chart">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={s.history} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid stroke="#eef0f3" />
                <XAxis dataKey="at" tickFormatter={clock} tick={{ fontSize: 12 }} minTickGap={40} />
                <YAxis yAxisId="load" tick={{ fontSize: 12 }} width={48} allowDecimals />
                <YAxis yAxisId="replicas" orientation="right" tick={{ fontSize: 12 }} width={32} allowDecimals={false} />
                <Tooltip
                  labelFormatter={(at) => clock(String(at))}
                  formatter={(v, name) => [name === "concurrency" ? Number(v).toFixed(1) : String(v), name]}
                  isAnimationActive={false}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Line
                  yAxisId="load"
                  dataKey="concurrency"
                  stroke="#0ea5e9"
                  dot={false}
                  strokeWidth={2}
                  isAnimationActive={false}
                />
                <Line
                  yAxisId="replicas"
                  dataKey="desired"
                  type="stepAfter"
                  stroke="#f59e0b"
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  yAxisId="replicas"
                  dataKey="ready"
                  type="stepAfter"
                  stroke="#10b981"
                  dot={false}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        ) : null}
      </div>
    </div>
  );
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { DbHandle } from "@autoglm/db/client";
import { runLoopConfig, type RunLoopConfig } from "@autoglm/scheduler";
import type { TServerEnv } from "../env.js";
import { createMetricsEndpoint, type MetricsEndpoint } from "./metrics-endpoint.js";
import { createServerMetrics, type ServerMetrics } from "./server-metrics.js";

export type { ServerMetrics } from "./server-metrics.js";

/**
 * An agent counts as online while heard from within six heartbeats, the Agents page's rule
 * (30 s at the default 5 s period).
 */
const STALE_AFTER_HEARTBEATS = 6;

/** The server's metrics and who may read them (env.ts's METRICS_PORT / METRICS_HOST / METRICS_TOKEN). */
export function serverMetricsOf(deps: {
  db: DbHandle;
  env: TServerEnv;
  runLoop: Partial<RunLoopConfig> | undefined;
  log: (line: string) => void;
}): { metrics: ServerMetrics; endpoint: MetricsEndpoint } {
  const metrics = createServerMetrics({
    db: deps.db,
    agentStaleAfterMs: STALE_AFTER_HEARTBEATS * runLoopConfig(deps.runLoop).heartbeatMs,
    log: deps.log,
  });
  const { env } = deps;
  const access = { port: env.METRICS_PORT, host: env.METRICS_HOST, token: env.METRICS_TOKEN };
  return { metrics, endpoint: createMetricsEndpoint(metrics.registry, access, deps.log) };
}

/** The main port's handler, counted and timed, with /metrics answered before anything else sees it. */
export function withMetrics(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  parts: { metrics: ServerMetrics; endpoint: MetricsEndpoint },
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    parts.metrics.trackRequest(req, res);
    if (parts.endpoint.isMetricsPath(req)) parts.endpoint.serveMain(req, res);
    else handle(req, res);
  };
}

import { ENDPOINT_LOAD_FRESH_MS } from "@autoglm/db/queries";
import { MAX_REPLICA_FAILURES_PER_HOUR } from "@autoglm/protocol";

/** The serving reconciler's timings; tests shrink them. */
export interface ServingConfig {
  /** A replica's lease TTL (ms): its agent's heartbeats renew it, as trial leases. */
  leaseTtlMs: number;
  /** How often the reconciler runs without a nudge (ms); also its lease sweep. */
  intervalMs: number;
  /** How long a draining replica's in-flight requests may take before it exits (ms). 30 s, as R9's grace. */
  drainGraceMs: number;
  /** How long an agent may take to acknowledge `replica:start` (ms). */
  ackTimeoutMs: number;
  /** No replica lease is swept this long after start, so a restarted server's agents reconnect first (ms). */
  startupGraceMs: number;
  /**
   * Replicas of one version that may fail for their own reason (a bad model, a crash loop) in an
   * hour before the reconciler stops starting more: a model that cannot load is not restarted
   * forever, and the old version keeps serving.
   */
  maxFailuresPerHour: number;
  /** How old a server's load report may be and still count (ms); ENDPOINT_LOAD_FRESH_MS by default. */
  loadFreshMs: number;
  /** Load rows untouched this long are deleted (ms): servers that stopped, endpoints that went idle. */
  loadPruneMs: number;
  /** Points per endpoint in the in-memory scaling history: 120 passes of 5 s, the chart's last 10 minutes. */
  historyPoints: number;
}

export function servingConfigOf(run: { leaseTtlMs: number; sweepMs: number; ackTimeoutMs: number; startupGraceMs: number }) {
  return {
    leaseTtlMs: run.leaseTtlMs,
    intervalMs: run.sweepMs,
    drainGraceMs: 30_000,
    ackTimeoutMs: run.ackTimeoutMs,
    startupGraceMs: run.startupGraceMs,
    maxFailuresPerHour: MAX_REPLICA_FAILURES_PER_HOUR,
    loadFreshMs: ENDPOINT_LOAD_FRESH_MS,
    loadPruneMs: 600_000,
    historyPoints: 120,
  } satisfies ServingConfig;
}

import type { DbHandle } from "@autoglm/db/client";
import {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_LEASE_TTL_MS,
  DEFAULT_SWEEP_MS,
  type Clock,
  type Logger,
  type PublishEvent,
} from "@autoglm/protocol";

export interface RunLoopConfig {
  /** Agent heartbeat period H (ms). */
  heartbeatMs: number;
  /** Lease TTL T (ms); renewed by heartbeats, metric reports and completions. */
  leaseTtlMs: number;
  /** How often expired agent leases are swept (ms). */
  sweepMs: number;
  /** How often the scheduler tops up studies and offers trials to idle agents (ms). */
  tickMs: number;
  /** How long the server waits for an agent to acknowledge a lease (ms). */
  ackTimeoutMs: number;
  /** How old a cached study optimizer may get before it is rebuilt from the database (ms). */
  optimizerRefreshMs: number;
  /**
   * No lease is swept for this long after the loop starts, so agents of a restarted server
   * reconnect and re-adopt their trials (R4) instead of losing them. Default 2T.
   */
  startupGraceMs: number;
  /** How often a connected agent's token is re-checked (revoked / expired → disconnected). */
  tokenRecheckMs: number;
  /** Budget of one optimizer pool call for agent-run studies (an ask, a model-fitting prune decision). */
  optimizerTimeoutMs: number;
}

export const DEFAULT_RUN_LOOP_CONFIG: RunLoopConfig = {
  heartbeatMs: DEFAULT_HEARTBEAT_MS,
  leaseTtlMs: DEFAULT_LEASE_TTL_MS,
  sweepMs: DEFAULT_SWEEP_MS,
  // 1 s keeps "a new waiting trial reaches an idle agent" under a second without an event.
  tickMs: 1_000,
  ackTimeoutMs: DEFAULT_ACK_TIMEOUT_MS,
  optimizerRefreshMs: 2_000,
  startupGraceMs: 2 * DEFAULT_LEASE_TTL_MS,
  tokenRecheckMs: 60_000,
  // The optimizer pool's own default (OPTIMIZER_TIMEOUT_MS).
  optimizerTimeoutMs: 30_000,
};

export function runLoopConfig(partial: Partial<RunLoopConfig> = {}): RunLoopConfig {
  const cfg = { ...DEFAULT_RUN_LOOP_CONFIG };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (cfg as Record<string, number>)[k] = v as number;
  if (partial.startupGraceMs === undefined) cfg.startupGraceMs = 2 * cfg.leaseTtlMs;
  return cfg;
}

export interface RunLoopDeps {
  db: DbHandle;
  logger?: Logger;
  /** In-process timing (optimizer cache ages, the sweep's startup grace); lease expiries use the database's now(). */
  clock?: Clock;
  config?: Partial<RunLoopConfig>;
  publish?: PublishEvent;
}

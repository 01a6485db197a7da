import { listExpiredLeases, type SqlDb } from "@autoglm/db/queries";
import { endAttempt, type EndedAttempt } from "./end-attempt.js";

/**
 * Agent leases whose expiry has passed: the holder stopped heartbeating (killed, paused,
 * partitioned). Each goes back to `waiting` with its attempt spent (AGENT_LOST), or fails
 * once `budget.max_attempts` are used. Every row is ended by `endAttempt`, which re-checks
 * the expiry under the row lock, so a heartbeat that renews the lease between the scan and
 * the update wins. Ask-leases have their own sweep (expireAskLease). `stopIf` is asked before
 * each expiry: the caller's way to stop when the scan itself says the database was unreachable;
 * `dbUpForMs` expires nothing until the database server has been up that long (a restart).
 */
export async function expireAgentLeases(
  db: SqlDb,
  options: { limit?: number; stopIf?: () => boolean; dbUpForMs?: number } = {},
): Promise<EndedAttempt[]> {
  const expired = await listExpiredLeases(db, {
    leaseKind: "agent",
    at: null,
    limit: options.limit ?? 500,
    ...(options.dbUpForMs !== undefined ? { dbUpForMs: options.dbUpForMs } : {}),
  });
  const ended: EndedAttempt[] = [];
  for (const t of expired) {
    if (options.stopIf?.()) break;
    const e = await endAttempt(db, {
      trialId: t.trialId,
      onlyIfExpired: true,
      mode: "retry",
      code: "AGENT_LOST",
      reason: "the agent stopped heartbeating and its lease expired",
    });
    if (e) ended.push(e);
  }
  return ended;
}

function describeDuration(ms: number): string {
  if (ms >= 60_000) {
    const m = Math.round(ms / 60_000);
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? "" : "s"}`;
}

/**
 * An ask-trial whose program stopped reporting: failed LEASE_EXPIRED (a program's trial is
 * not re-queued; the study goes on). Re-checked under the row lock like the agents' sweep, so
 * a report or tell that lands first wins. `renewedAt` is the lease's last renewal, reported as
 * the silence the user sees.
 */
export function expireAskLease(
  db: SqlDb,
  t: { trialId: string; renewedAt: Date | null },
  at: Date,
): Promise<EndedAttempt | null> {
  const silentMs = at.getTime() - (t.renewedAt?.getTime() ?? at.getTime());
  return endAttempt(db, {
    trialId: t.trialId,
    leaseKind: "ask",
    onlyIfExpired: true,
    mode: "failed",
    code: "LEASE_EXPIRED",
    reason: `no report for ${describeDuration(silentMs)}; the program that asked for this trial went away`,
    at,
  });
}

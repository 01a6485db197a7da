import type { DbHandle } from "@autoglm/db/client";
import { endAttempt, type EndedAttempt } from "./retry.js";

/**
 * Agent leases whose expiry has passed: the holder stopped heartbeating (killed, paused,
 * partitioned). Each goes back to `waiting` with its attempt spent (AGENT_LOST), or fails
 * once `budget.max_attempts` are used. Every row is ended by `endAttempt`, which re-checks
 * the expiry under the row lock, so a heartbeat that renews the lease between the scan and
 * the update wins. Ask-leases (lease_kind 'ask') belong to the api's sweeper.
 */
export async function expireAgentLeases(handle: DbHandle, options: { limit?: number } = {}): Promise<EndedAttempt[]> {
  const rows = await handle.query<{ id: string }>(
    `SELECT id FROM trials
     WHERE state = 'running' AND lease_kind = 'agent' AND lease_expires_at < now()
     ORDER BY lease_expires_at
     LIMIT $1`,
    [options.limit ?? 500],
  );
  const ended: EndedAttempt[] = [];
  for (const r of rows) {
    const e = await endAttempt(handle, {
      trialId: String(r.id),
      onlyIfExpired: true,
      mode: "retry",
      code: "AGENT_LOST",
      reason: "the agent stopped heartbeating and its lease expired",
    });
    if (e) ended.push(e);
  }
  return ended;
}

import { sql } from "drizzle-orm";
import {
  agentLeaseOf,
  LEASE_SELECT,
  leaseCtes,
  type TAgentLeaseRow,
  type TLeaseRequest,
  type TLeaseSqlRow,
} from "./agent-lease-sql.js";
import { runStatement, type SqlDb } from "./sql-runner.js";
import { endAttemptCtes, endedAttemptOf } from "./trial-end-sql.js";
import type { TEndAttemptQuery, TEndedAttemptRow } from "./trial-end.js";

/**
 * Unscoped: an agent's own completion (fenced like `endTrialAttemptById`, with `agentId`) and
 * its own next lease (like `leaseTrialToAgentById`, S8).
 * Ends the attempt and leases the same agent its next trial in ONE statement: the slot the
 * attempt frees is filled without a second round trip, which an idle agent would wait through
 * (L1: the completion and the lease were two statements, each a write and a commit). The lease
 * part is `leaseCtes` with the ended trial not counted as running; it leases nothing when the
 * end matched nothing (a stale token changes nothing, R2) or nothing fits. Callers serialise
 * leases per agent, as for `leaseTrialToAgentById`.
 */
export async function endAttemptAndLeaseNextById(
  db: SqlDb,
  end: TEndAttemptQuery & { agentId: string },
  next: Omit<TLeaseRequest, "agentId">,
): Promise<{ ended: TEndedAttemptRow | null; lease: TAgentLeaseRow | null }> {
  const rows = await runStatement<{ ended: Record<string, unknown> | null; lease: TLeaseSqlRow | null }>(
    db,
    "end_attempt_and_lease",
    sql`WITH ${endAttemptCtes(end)}, ${leaseCtes({ ...next, agentId: end.agentId }, { afterEnd: true })}
SELECT (SELECT to_jsonb(e) FROM end_upd e) AS ended, (SELECT to_jsonb(l) FROM (${LEASE_SELECT}) l) AS lease`,
  );
  const r = rows[0];
  return {
    ended: r?.ended ? endedAttemptOf(r.ended) : null,
    lease: r?.lease ? agentLeaseOf(r.lease) : null,
  };
}

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

export type { TAgentLeaseRow, TLeaseRequest };

/**
 * Unscoped: keyed by the agent, whose own team and token project the statement reads (S8).
 * Leases the oldest waiting trial that fits the agent, in ONE statement (STYLE 8):
 *
 *  - `lease_ag` is the agent while its API token may act (S13: a removed, demoted or deactivated
 *    owner's agent is leased nothing), with the token's project restriction.
 *  - `lease_pick` takes one waiting trial of the agent's own org (S8: never another team's) and, for
 *    a project-restricted token, of that project only, of a
 *    running study with a `run.command` or `run.builtin`, whose `run.resources` fit what the agent has left:
 *    free trial slots, free GPUs (GPU count minus the GPUs its running trials asked for),
 *    memory, and labels (`agents.labels @> resources.labels`). `FOR UPDATE SKIP LOCKED` lets
 *    concurrent leasers pass each other instead of queueing or taking the same row (R6).
 *  - `lease_upd` sets state, attempt + 1, a fresh lease token, the holder and the expiry.
 *  - `lease_att` opens the attempt row; a partial unique index allows one open attempt per trial,
 *    so even a bug elsewhere cannot create a second active attempt.
 *
 * The capacity check reads the agent's running trials in the statement's snapshot, so two
 * concurrent leases for the SAME agent could both see a free slot; callers serialise leases
 * per agent (the gateway does, with a promise chain per agent). Different agents never
 * contend on capacity, only on trial rows, which SKIP LOCKED settles.
 */
export async function leaseTrialToAgentById(db: SqlDb, input: TLeaseRequest): Promise<TAgentLeaseRow | null> {
  const rows = await runStatement<TLeaseSqlRow>(db, "lease_trial", sql`WITH ${leaseCtes(input)} ${LEASE_SELECT}`);
  const r = rows[0];
  return r ? agentLeaseOf(r) : null;
}

/** Unscoped: the registering agent's own leases. The trials the database leases to the agent, with their tokens. */
export async function listAgentLeasesByAgentId(
  db: SqlDb,
  agentId: string,
): Promise<Array<{ trialId: string; leaseToken: string }>> {
  const rows = await runStatement<{ id: string; lease_token: string }>(
    db,
    "agent_leases",
    sql`SELECT id, lease_token FROM trials WHERE agent_id = ${agentId} AND state = 'running' AND lease_kind = 'agent'`,
  );
  return rows.map((r) => ({ trialId: String(r.id), leaseToken: String(r.lease_token) }));
}

/**
 * Unscoped, fenced by the tokens the caller chose for leases it could not confirm: the open
 * leases among them (their statements committed after all), with their trials.
 */
export async function listAgentLeasesByToken(
  db: SqlDb,
  leaseTokens: readonly string[],
): Promise<Array<{ trialId: string; leaseToken: string }>> {
  const rows = await runStatement<{ id: string; lease_token: string }>(
    db,
    "agent_leases_by_token",
    sql`SELECT id, lease_token FROM trials
        WHERE lease_token = ANY(${`{${leaseTokens.join(",")}}`}::uuid[]) AND state = 'running' AND lease_kind = 'agent'`,
  );
  return rows.map((r) => ({ trialId: String(r.id), leaseToken: String(r.lease_token) }));
}

/** Unscoped: the run loop's pass over every team. The teams with a queued trial, each offered to its own agents. */
export async function listOrgIdsWithWaitingTrials(db: SqlDb): Promise<string[]> {
  const rows = await runStatement<{ org_id: string }>(
    db,
    "orgs_with_waiting_trials",
    sql`SELECT DISTINCT org_id FROM trials WHERE state = 'waiting'`,
  );
  return rows.map((r) => String(r.org_id));
}

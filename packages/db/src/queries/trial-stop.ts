import { sql } from "drizzle-orm";
import type { TenantScope } from "./scope.js";
import { isoOrNull, numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import { inProject } from "./trial-scope.js";

export interface TStoppedWaitingTrial {
  trialId: string;
  number: number;
  /** Attempts it had run before it was queued again (0 for a trial never leased). */
  attempt: number;
}

/** Every queued (`waiting`) trial of the study ends `failed` with `code`: the study stopped or failed. */
export async function failWaitingTrialsOfStudy(
  db: SqlDb,
  scope: TenantScope,
  input: { studyId: string; code: string; reason: string; at: Date | null },
): Promise<TStoppedWaitingTrial[]> {
  const rows = await runStatement<{ id: unknown; number: unknown; attempt: unknown }>(
    db,
    "fail_waiting_trials_of_study",
    sql`UPDATE trials SET state = 'failed', end_code = ${input.code}::text, end_reason = ${input.reason}::text,
          finished_at = coalesce(${isoOrNull(input.at)}::timestamptz, now()), updated_at = now()
        WHERE study_id = ${input.studyId}::uuid AND org_id = ${scope.orgId}::uuid AND state = 'waiting' AND ${inProject(scope)}
        RETURNING id, number, attempt`,
  );
  return rows.map((r) => ({ trialId: String(r.id), number: numberOf(r.number), attempt: numberOf(r.attempt) }));
}

/** The study's running trials (of one lease kind, or both): what a study stop ends one by one. */
export async function listRunningTrialIdsOfStudy(
  db: SqlDb,
  scope: TenantScope,
  input: { studyId: string; leaseKind: "ask" | "agent" | null },
): Promise<string[]> {
  const rows = await runStatement<{ id: unknown }>(
    db,
    "running_trials_of_study",
    sql`SELECT id FROM trials
        WHERE study_id = ${input.studyId}::uuid AND org_id = ${scope.orgId}::uuid AND state = 'running' AND ${inProject(scope)}
          AND (${input.leaseKind}::text IS NULL OR lease_kind::text = ${input.leaseKind}::text)
        ORDER BY number`,
  );
  return rows.map((r) => String(r.id));
}

/**
 * Unscoped: the lease sweeper's background work over every team.
 * Running trials of one lease kind whose lease ran out by `at` (null: the database's now()),
 * oldest expiry first. Each is then ended by `endTrialAttemptById` with `onlyIfExpired`, which
 * re-checks under the row lock, so a renewal between this scan and the end wins.
 */
export async function listExpiredLeases(
  db: SqlDb,
  input: {
    leaseKind: "ask" | "agent";
    at: Date | null;
    limit: number;
    /**
     * None while the database server started less than this long ago: leases "lapsed" across a
     * restart say nothing about their holders, who could not heartbeat meanwhile (R5).
     */
    dbUpForMs?: number;
  },
): Promise<Array<{ trialId: string; orgId: string; studyId: string; number: number; renewedAt: Date | null }>> {
  const upFor = input.dbUpForMs ?? 0;
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "expired_leases",
    sql`SELECT id, org_id, study_id, number, coalesce(updated_at, started_at) AS renewed_at FROM trials
        WHERE state = 'running' AND lease_kind::text = ${input.leaseKind}::text
          AND lease_expires_at < coalesce(${isoOrNull(input.at)}::timestamptz, now())
          AND pg_postmaster_start_time() < now() - make_interval(secs => ${upFor}::float8 / 1000)
        ORDER BY lease_expires_at
        LIMIT ${input.limit}::int`,
  );
  return rows.map((r) => ({
    trialId: String(r.id),
    orgId: String(r.org_id),
    studyId: String(r.study_id),
    number: numberOf(r.number),
    renewedAt: r.renewed_at ? new Date(r.renewed_at as string) : null,
  }));
}

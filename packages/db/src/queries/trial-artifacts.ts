import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { trialArtifacts } from "../schema.js";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import { trialChildScopeWhere } from "./trial-scope.js";

/**
 * How long after the server itself ended an attempt (a prune, a user's or the study's stop) its
 * agent may still upload that attempt's files. The agent uploads once the process is gone: up
 * to its kill grace (30 s by default) after the signal, then at most 30 s of uploads
 * (trial-completion.ts in @autoglm/agent), so about one minute; 5 minutes leaves room for a
 * slow signal delivery or a longer --kill-grace-ms.
 */
const SERVER_ENDED_UPLOAD_WINDOW = "5 minutes";

/**
 * Which trial row (alias `t`) an upload may write to: the lease token and attempt must be the
 * trial's current ones held by an agent (R2), and the trial running, or ended by the server
 * (PRUNED, USER_STOPPED, STUDY_STOPPED) within SERVER_ENDED_UPLOAD_WINDOW. An attempt the
 * agent ended itself uploads before it reports the end, so a completed or failed trial's
 * token fences nothing more in; a trial that went back to `waiting` has no token left.
 */
function uploadFence(input: { leaseToken: string; attempt: number }): SQL {
  return sql`t.lease_kind = 'agent' AND t.lease_token = ${input.leaseToken}::uuid AND t.attempt = ${input.attempt}::int
    AND (t.state = 'running'
      OR (t.state IN ('pruned', 'failed') AND t.end_code IN ('PRUNED', 'USER_STOPPED', 'STUDY_STOPPED')
        AND t.finished_at > now() - ${SERVER_ENDED_UPLOAD_WINDOW}::interval))`;
}

/** What an agent's upload is checked against, from one statement. */
export type TArtifactUploadCheck =
  /** The bearer token is unknown, or may not act as an agent (S13). */
  | { status: "token-refused" }
  /** No trial of the token's team has this id. */
  | { status: "not-found" }
  /** The trial's running (or just server-ended) attempt is not this one, or its lease token differs (R2). */
  | { status: "stale-lease" }
  /** The lease matches, but the agent holding it is not this token's. */
  | { status: "other-agent" }
  | {
      status: "ok";
      orgId: string;
      projectId: string;
      studyId: string;
      /** run.artifacts_max_mb of the study's spec (null: the default). */
      maxMb: number | null;
      /** Bytes this attempt already stored under other names. */
      usedBytes: number;
      /** The row already stored under this name, if any. */
      existing: { sizeBytes: number; sha256: string } | null;
    };

/**
 * Unscoped: keyed by the hash of the agent's API token (identity, before a team is known) and
 * fenced by the trial's lease token and attempt; the team is the token's.
 * Everything an artifact upload is checked against, in one statement: the token may act, the
 * trial is its team's, the lease token and attempt are the running attempt's, the holder is
 * an agent of this token, the study's cap, the bytes already stored and the row for `name`.
 */
export async function checkArtifactUploadByTokenHash(
  db: SqlDb,
  input: { tokenHash: string; trialId: string; attempt: number; leaseToken: string; name: string },
): Promise<TArtifactUploadCheck> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "artifact_upload_check",
    sql`
WITH tok AS (
  SELECT tk.id, tk.org_id FROM api_tokens tk ${sql.raw(agentTokenJoinsSql())}
  WHERE tk.token_hash = ${input.tokenHash} AND ${sql.raw(agentTokenMayActSql())}
)
SELECT tok.id AS token_id, t.id AS trial_id, t.org_id, s.project_id, t.study_id,
  (${uploadFence(input)}) AS held,
  EXISTS (SELECT 1 FROM agents a WHERE a.id = t.agent_id AND a.token_id = tok.id) AS own_agent,
  s.spec -> 'run' ->> 'artifacts_max_mb' AS max_mb,
  (SELECT coalesce(sum(size_bytes), 0) FROM trial_artifacts ta
    WHERE ta.trial_id = t.id AND ta.attempt = ${input.attempt}::int AND ta.name <> ${input.name}) AS used_bytes,
  ex.size_bytes AS existing_size, ex.sha256 AS existing_sha256
FROM tok
LEFT JOIN trials t ON t.id = ${input.trialId}::uuid AND t.org_id = tok.org_id
LEFT JOIN studies s ON s.id = t.study_id
LEFT JOIN trial_artifacts ex ON ex.trial_id = t.id AND ex.attempt = ${input.attempt}::int AND ex.name = ${input.name}`,
  );
  const r = rows[0];
  if (!r) return { status: "token-refused" };
  if (!r.trial_id) return { status: "not-found" };
  if (!isTrue(r.held)) return { status: "stale-lease" };
  if (!isTrue(r.own_agent)) return { status: "other-agent" };
  return {
    status: "ok",
    orgId: String(r.org_id),
    projectId: String(r.project_id),
    studyId: String(r.study_id),
    maxMb: r.max_mb === null || r.max_mb === undefined ? null : numberOf(r.max_mb),
    usedBytes: numberOf(r.used_bytes),
    existing:
      r.existing_sha256 === null || r.existing_sha256 === undefined
        ? null
        : { sizeBytes: numberOf(r.existing_size), sha256: String(r.existing_sha256) },
  };
}

function isTrue(v: unknown): boolean {
  return v === true || v === "t";
}

/**
 * Unscoped: fenced by the lease token and attempt in the statement itself (the upload may
 * have outlived the lease while its bytes streamed: then nothing is recorded, R2).
 * Records (or replaces) the row for an uploaded file; false when the lease is no longer held.
 */
export async function recordTrialArtifactById(
  db: SqlDb,
  input: {
    trialId: string;
    attempt: number;
    leaseToken: string;
    name: string;
    sizeBytes: number;
    sha256: string;
    storeKey: string;
  },
): Promise<boolean> {
  const rows = await runStatement(
    db,
    "record_trial_artifact",
    sql`
INSERT INTO trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key)
SELECT t.org_id, t.id, t.attempt, ${input.name}, ${input.sizeBytes}::bigint, ${input.sha256}, ${input.storeKey}
FROM trials t
WHERE t.id = ${input.trialId}::uuid AND ${uploadFence(input)}
ON CONFLICT (trial_id, attempt, name) DO UPDATE
  SET size_bytes = excluded.size_bytes, sha256 = excluded.sha256, store_key = excluded.store_key, created_at = now()
RETURNING id`,
  );
  return rows.length > 0;
}

export interface TTrialArtifact {
  attempt: number;
  name: string;
  sizeBytes: number;
  sha256: string;
  createdAt: Date;
}

/** A trial's uploaded files, every attempt's, by attempt then name (empty for another team's trial). */
export async function listTrialArtifacts(db: DbOrTx, scope: TenantScope, trialId: string): Promise<TTrialArtifact[]> {
  return db
    .select({
      attempt: trialArtifacts.attempt,
      name: trialArtifacts.name,
      sizeBytes: trialArtifacts.sizeBytes,
      sha256: trialArtifacts.sha256,
      createdAt: trialArtifacts.createdAt,
    })
    .from(trialArtifacts)
    .where(and(eq(trialArtifacts.trialId, trialId), trialChildScopeWhere(scope, trialArtifacts.orgId, trialId)))
    .orderBy(asc(trialArtifacts.attempt), asc(trialArtifacts.name));
}

/** One uploaded file with its store key, or null (also for another team's, or project's, trial). */
export async function findTrialArtifact(
  db: DbOrTx,
  scope: TenantScope,
  input: { trialId: string; attempt: number; name: string },
): Promise<(TTrialArtifact & { storeKey: string }) | null> {
  const [row] = await db
    .select({
      attempt: trialArtifacts.attempt,
      name: trialArtifacts.name,
      sizeBytes: trialArtifacts.sizeBytes,
      sha256: trialArtifacts.sha256,
      createdAt: trialArtifacts.createdAt,
      storeKey: trialArtifacts.storeKey,
    })
    .from(trialArtifacts)
    .where(
      and(
        eq(trialArtifacts.trialId, input.trialId),
        eq(trialArtifacts.attempt, input.attempt),
        eq(trialArtifacts.name, input.name),
        trialChildScopeWhere(scope, trialArtifacts.orgId, input.trialId),
      ),
    );
  return row ?? null;
}

/**
 * Unscoped: keyed by a trial attempt the caller resolved in scope (a registration).
 * Share-locks the attempt's rows for `names` until the transaction ends, so the retention sweep
 * (which locks them for update before deleting their bytes) cannot delete what a version being
 * recorded points at; returns how many of `names` still exist.
 */
export async function lockAttemptArtifactsById(
  db: SqlDb,
  input: { trialId: string; attempt: number; names: string[] },
): Promise<number> {
  const rows = await runStatement<{ name: string }>(
    db,
    "lock_attempt_artifacts",
    sql`
SELECT ta.name FROM trial_artifacts ta
WHERE ta.trial_id = ${input.trialId}::uuid AND ta.attempt = ${input.attempt}::int AND ta.name IN (SELECT jsonb_array_elements_text(${JSON.stringify(input.names)}::jsonb))
FOR SHARE`,
  );
  return rows.length;
}

import { sql } from "drizzle-orm";
import type { Db } from "../client.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { numberOf } from "./sql-runner.js";

/** Arbitrary constant shared by every server: one replica sweeps expired artifacts at a time. */
const RETENTION_LOCK_KEY = 7_346_921_106;

export interface TExpiredArtifact {
  id: string;
  trialId: string;
  attempt: number;
  sizeBytes: number;
  storeKey: string;
}

export type TRetentionBatch =
  /** Another replica holds the sweep's lock: nothing was looked at. */
  | { status: "busy" }
  /** `rows` (of `attempts` attempts) were deleted, their objects first; fewer attempts than the limit: nothing is left. */
  | { status: "done"; attempts: number; rows: TExpiredArtifact[] };

/**
 * Unscoped: the operator's retention setting applies to every team. One batch of the artifact
 * retention sweep, in one transaction:
 * 1. the transaction-level advisory lock, so only one replica sweeps (another gets `busy`);
 * 2. up to `limitAttempts` trial attempts whose every file is older than `cutoff`, that no
 *    model version references (by trial and attempt, or by a file's store key; soft-deleted
 *    versions count: a registered version's bytes are never deleted) and that are not still
 *    running; their rows are locked (FOR UPDATE), so a registration that locks them waits;
 * 3. `deleteObjects(rows)` removes the bytes, then the rows go. A failure there rolls the rows
 *    back, so the next sweep retries: an object is never left without its row.
 * Whole attempts, never single files: the store deletes by prefix, and an attempt's files are
 * uploaded together when it ends.
 */
export async function sweepExpiredArtifactBatch(
  db: Db,
  input: { cutoff: Date; limitAttempts: number; deleteObjects: (rows: TExpiredArtifact[]) => Promise<void> },
): Promise<TRetentionBatch> {
  return db.transaction(async (tx) => {
    const lock = (await tx.execute(sql`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK_KEY}::bigint) AS got`)) as unknown as {
      rows: { got: boolean | string }[];
    };
    const got = lock.rows[0]?.got;
    if (!(got === true || got === "t")) return { status: "busy" } as const;
    const rows = await lockExpired(tx as unknown as Db, input.cutoff, input.limitAttempts);
    if (rows.length === 0) return { status: "done", attempts: 0, rows: [] } as const;
    await input.deleteObjects(rows);
    const ids = `{${rows.map((r) => r.id).join(",")}}`;
    await tx.execute(sql`DELETE FROM trial_artifacts WHERE id = ANY (${ids}::uuid[])`);
    const attempts = new Set(rows.map((r) => `${r.trialId}/${r.attempt}`)).size;
    return { status: "done", attempts, rows } as const;
  });
}

async function lockExpired(tx: Db, cutoff: Date, limitAttempts: number): Promise<TExpiredArtifact[]> {
  const res = (await tx.execute(sql`
WITH expired AS (
  SELECT ta.trial_id, ta.attempt, max(ta.created_at) AS newest
  FROM trial_artifacts ta
  JOIN trials t ON t.id = ta.trial_id
  WHERE ta.created_at < ${cutoff.toISOString()}::timestamptz
    AND NOT (t.state = 'running' AND t.attempt = ta.attempt)
    AND NOT EXISTS (SELECT 1 FROM trial_artifacts n
                    WHERE n.trial_id = ta.trial_id AND n.attempt = ta.attempt
                      AND n.created_at >= ${cutoff.toISOString()}::timestamptz)
    AND NOT EXISTS (SELECT 1 FROM model_versions mv WHERE mv.trial_id = ta.trial_id AND mv.attempt = ta.attempt)
    AND NOT EXISTS (SELECT 1 FROM trial_artifacts x
                    JOIN model_versions mv ON mv.files @> jsonb_build_array(jsonb_build_object('storeKey', x.store_key))
                    WHERE x.trial_id = ta.trial_id AND x.attempt = ta.attempt)
  GROUP BY ta.trial_id, ta.attempt
  ORDER BY newest
  LIMIT ${limitAttempts}::int
)
SELECT ta.id, ta.trial_id, ta.attempt, ta.size_bytes, ta.store_key
FROM trial_artifacts ta
JOIN expired e ON e.trial_id = ta.trial_id AND e.attempt = ta.attempt
ORDER BY ta.trial_id, ta.attempt, ta.id
FOR UPDATE OF ta`)) as unknown as { rows: Record<string, unknown>[] };
  return res.rows.map((r) => ({
    id: String(r.id),
    trialId: String(r.trial_id),
    attempt: numberOf(r.attempt),
    sizeBytes: numberOf(r.size_bytes),
    storeKey: String(r.store_key),
  }));
}

/** Bytes and files a study's trials hold in the artifact store, every attempt's (zero for another team's study). */
export async function sumStudyArtifacts(
  db: DbOrTx,
  scope: TenantScope,
  studyId: string,
): Promise<{ bytes: number; files: number }> {
  const res = (await db.execute(sql`
SELECT coalesce(sum(ta.size_bytes), 0) AS bytes, count(ta.id) AS files
FROM trials t
JOIN studies s ON s.id = t.study_id
JOIN trial_artifacts ta ON ta.trial_id = t.id
WHERE t.study_id = ${studyId}::uuid AND t.org_id = ${scope.orgId}::uuid AND ta.org_id = ${scope.orgId}::uuid
  AND (${scope.projectId ?? null}::uuid IS NULL OR s.project_id = ${scope.projectId ?? null}::uuid)`)) as unknown as {
    rows: { bytes: unknown; files: unknown }[];
  };
  const r = res.rows[0];
  return { bytes: numberOf(r?.bytes ?? 0), files: numberOf(r?.files ?? 0) };
}

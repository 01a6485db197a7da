import { sql } from "drizzle-orm";
import { runStatement, type SqlDb } from "./sql-runner.js";

export interface TPendingAutoRegistration {
  studyId: string;
  orgId: string;
  /** The study's current best trial: what `register` wants the alias on. */
  trialId: string;
  model: string;
  alias: string;
  /** Who the registration is recorded as: the study's creator (null if that user is gone). */
  userId: string | null;
  email: string | null;
  /** A live version of `model` already made from this trial, if any: then only the alias moves. */
  existingVersion: number | null;
}

/**
 * Unscoped: the server's background pass over every team.
 * Studies whose spec says `register: {model, alias}` and whose best trial is not what that alias
 * points at yet: the work the spec's auto-registration has left (after a crash too, since it is
 * read from the tables, not from events). At most `limit`, oldest study first.
 */
export async function listPendingAutoRegistrations(db: SqlDb, input: { limit: number }): Promise<TPendingAutoRegistration[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "pending_auto_registrations",
    sql`
WITH r AS (
  SELECT s.id, s.org_id, s.best_trial_id, s.created_by, s.created_at, s.spec #>> '{register,model}' AS model,
    coalesce(s.spec #>> '{register,alias}', 'candidate') AS alias
  FROM studies s
  WHERE s.spec ? 'register' AND s.best_trial_id IS NOT NULL
)
SELECT r.id, r.org_id, r.best_trial_id, r.model, r.alias, r.created_by, u.email,
  (SELECT v.version FROM model_versions v JOIN models m ON m.id = v.model_id
   WHERE m.org_id = r.org_id AND m.name = r.model AND v.trial_id = r.best_trial_id AND v.deleted_at IS NULL
   ORDER BY v.version DESC LIMIT 1) AS existing_version
FROM r
LEFT JOIN users u ON u.id = r.created_by
WHERE NOT EXISTS (
  SELECT 1 FROM models m
  JOIN model_aliases a ON a.model_id = m.id AND a.alias = r.alias
  JOIN model_versions v ON v.id = a.version_id
  WHERE m.org_id = r.org_id AND m.name = r.model AND v.trial_id = r.best_trial_id
)
ORDER BY r.created_at
LIMIT ${input.limit}`,
  );
  return rows.map((r) => ({
    studyId: String(r.id),
    orgId: String(r.org_id),
    trialId: String(r.best_trial_id),
    model: String(r.model),
    alias: String(r.alias),
    userId: r.created_by === null || r.created_by === undefined ? null : String(r.created_by),
    email: r.email === null || r.email === undefined ? null : String(r.email),
    existingVersion: r.existing_version === null || r.existing_version === undefined ? null : Number(r.existing_version),
  }));
}

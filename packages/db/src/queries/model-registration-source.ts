import { sql } from "drizzle-orm";
import type { TStudySpec } from "@autoglm/protocol";
import type { DbOrTx, TenantScope } from "./scope.js";
import { numberOf, numberOrNull, runStatement } from "./sql-runner.js";
import { inProject } from "./trial-scope.js";

/** Everything a version records about where it came from, read before the files are hashed. */
export interface TRegistrationSource {
  trial: {
    id: string;
    number: number;
    state: string;
    params: Record<string, unknown>;
    value: number | null;
    values: unknown;
  };
  study: { id: string; name: string; projectId: string; spec: TStudySpec };
  /** The attempt whose files are registered: the one asked for, else the latest that uploaded any. */
  attempt: number | null;
  agent: { id: string; name: string } | null;
  /** The metrics of the attempt's last reported step (null when it reported none). */
  lastMetrics: { step: number; metrics: Record<string, unknown> } | null;
  files: Array<{ name: string; sizeBytes: number; sha256: string; storeKey: string }>;
  /** The source reference the attempt's command printed (`{"git": sha, "repo": url, …}`), null when none. */
  source: Record<string, unknown> | null;
}

/**
 * The trial (in scope: another team's, or project's, trial is null like a missing one), its
 * study, the attempt to register and that attempt's files, agent and last metrics.
 */
export async function findRegistrationSource(
  db: DbOrTx,
  scope: TenantScope,
  input: { trialId: string; attempt?: number | undefined },
): Promise<TRegistrationSource | null> {
  const [t] = await runStatement<Record<string, unknown>>(
    db,
    "model_registration_trial",
    sql`
SELECT trials.id, trials.number, trials.state, trials.params, trials.value, trials.values,
  s.id AS study_id, s.name AS study_name, s.project_id, s.spec,
  coalesce(${input.attempt ?? null}::int,
    (SELECT max(ta.attempt) FROM trial_artifacts ta WHERE ta.trial_id = trials.id)) AS chosen_attempt
FROM trials JOIN studies s ON s.id = trials.study_id
WHERE trials.id = ${input.trialId}::uuid AND trials.org_id = ${scope.orgId}::uuid AND ${inProject(scope)}`,
  );
  if (!t) return null;
  const attempt = numberOrNull(t.chosen_attempt);
  const source: TRegistrationSource = {
    trial: {
      id: String(t.id),
      number: numberOf(t.number),
      state: String(t.state),
      params: (t.params ?? {}) as Record<string, unknown>,
      value: numberOrNull(t.value),
      values: t.values ?? null,
    },
    study: { id: String(t.study_id), name: String(t.study_name), projectId: String(t.project_id), spec: t.spec as TStudySpec },
    attempt,
    agent: null,
    lastMetrics: null,
    files: [],
    source: null,
  };
  if (attempt === null) return source;
  return { ...source, ...(await attemptDetails(db, source.trial.id, attempt)) };
}

async function attemptDetails(
  db: DbOrTx,
  trialId: string,
  attempt: number,
): Promise<Pick<TRegistrationSource, "agent" | "lastMetrics" | "files" | "source">> {
  const files = await runStatement<Record<string, unknown>>(
    db,
    "model_registration_files",
    sql`
SELECT name, size_bytes, sha256, store_key FROM trial_artifacts
WHERE trial_id = ${trialId}::uuid AND attempt = ${attempt}::int ORDER BY name COLLATE "C"`,
  );
  const [extra] = await runStatement<Record<string, unknown>>(
    db,
    "model_registration_attempt",
    sql`
SELECT a.id AS agent_id, a.name AS agent_name, ta.source, v.step, v.metrics
FROM (SELECT 1) one
LEFT JOIN trial_attempts ta ON ta.trial_id = ${trialId}::uuid AND ta.attempt = ${attempt}::int
LEFT JOIN agents a ON a.id = ta.agent_id
LEFT JOIN LATERAL (
  SELECT tv.step, tv.metrics FROM trial_values tv
  WHERE tv.trial_id = ${trialId}::uuid AND tv.attempt = ${attempt}::int ORDER BY tv.step DESC LIMIT 1
) v ON true`,
  );
  return {
    files: files.map((f) => ({
      name: String(f.name),
      sizeBytes: numberOf(f.size_bytes),
      sha256: String(f.sha256),
      storeKey: String(f.store_key),
    })),
    agent: extra?.agent_id ? { id: String(extra.agent_id), name: String(extra.agent_name) } : null,
    source: (extra?.source ?? null) as Record<string, unknown> | null,
    lastMetrics:
      extra?.step === null || extra?.step === undefined
        ? null
        : { step: numberOf(extra.step), metrics: (extra.metrics ?? {}) as Record<string, unknown> },
  };
}

/** The name of one of the team's API tokens (a version registered by a token records it). */
export async function findTokenName(db: DbOrTx, scope: TenantScope, tokenId: string): Promise<string | null> {
  const [row] = await runStatement<{ name: string }>(
    db,
    "model_registration_token_name",
    sql`SELECT name FROM api_tokens WHERE id = ${tokenId}::uuid AND org_id = ${scope.orgId}::uuid`,
  );
  return row?.name ?? null;
}

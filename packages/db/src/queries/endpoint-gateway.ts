import { sql } from "drizzle-orm";
import { agentTokenJoinsSql, agentTokenMayActSql } from "./agent-token-rule.js";
import { runStatement, type SqlDb } from "./sql-runner.js";
import type { TModelFile } from "./model-versions.js";

/** The scope that lets a token call endpoints (S11). */
export const INFER_SCOPE = "infer";

/** Why a key does not open an endpoint: 401 (no valid credential) or 403 (valid, not for this). */
export type TInferenceRefusal = "KEY_INVALID" | "KEY_REVOKED" | "KEY_EXPIRED" | "SCOPE_MISSING" | "OTHER_ENDPOINT";

export type TInferenceAccess =
  | { ok: true; endpointId: string; orgId: string; tokenId: string; expiresAtMs: number | null }
  | { ok: false; refusal: TInferenceRefusal | "ENDPOINT_NOT_FOUND" };

/**
 * Unscoped: the credential itself decides the team (its hash is looked up, as for API tokens).
 * Whether the key whose sha256 is `tokenHash` may call the endpoint `endpointName` of the team
 * `teamSlug`, in one statement: a live key (not revoked, not expired) whose owner is enabled and
 * still a member of its team, with scope `infer`, either bound to this endpoint or team-wide
 * (and then within its project, if restricted). Another team's key or endpoint answers like a
 * missing endpoint's key would: OTHER_ENDPOINT, never which team exists.
 */
export async function authorizeInferenceByHash(
  db: SqlDb,
  input: { tokenHash: string; teamSlug: string; endpointName: string },
): Promise<TInferenceAccess> {
  const [r] = await runStatement<Record<string, unknown>>(
    db,
    "inference_access",
    sql`
WITH e AS (
  SELECT e.id, e.org_id, e.project_id FROM endpoints e JOIN organizations o ON o.id = e.org_id
  WHERE o.slug = ${input.teamSlug} AND lower(e.name) = lower(${input.endpointName}) AND e.deleted_at IS NULL
),
k AS (
  SELECT tk.id, tk.org_id, tk.scopes, tk.endpoint_id, tk.project_id, tk.revoked_at IS NOT NULL AS revoked,
         (tk.expires_at IS NOT NULL AND tk.expires_at <= now()) AS expired, tk.expires_at,
         (u.disabled_at IS NULL AND m.user_id IS NOT NULL) AS owner_ok
  FROM api_tokens tk JOIN users u ON u.id = tk.user_id
  LEFT JOIN memberships m ON m.org_id = tk.org_id AND m.user_id = tk.user_id
  WHERE tk.token_hash = ${input.tokenHash}
)
SELECT (SELECT id FROM e) AS endpoint_id, (SELECT org_id FROM e) AS endpoint_org, (SELECT project_id FROM e) AS endpoint_project,
       k.id AS token_id, k.org_id AS token_org, ${INFER_SCOPE} = ANY(k.scopes) AS has_infer, k.endpoint_id AS token_endpoint,
       k.project_id AS token_project, k.revoked, k.expired, k.expires_at, k.owner_ok
FROM (SELECT 1) one LEFT JOIN k ON true`,
  );
  return accessOf(r ?? {});
}

const truthy = (v: unknown) => v === true || v === "t";

function accessOf(r: Record<string, unknown>): TInferenceAccess {
  if (!r.token_id || !truthy(r.owner_ok)) return { ok: false, refusal: "KEY_INVALID" };
  if (truthy(r.revoked)) return { ok: false, refusal: "KEY_REVOKED" };
  if (truthy(r.expired)) return { ok: false, refusal: "KEY_EXPIRED" };
  if (!truthy(r.has_infer)) return { ok: false, refusal: "SCOPE_MISSING" };
  const endpointId = r.endpoint_id ? String(r.endpoint_id) : null;
  const sameTeam = endpointId !== null && String(r.endpoint_org) === String(r.token_org);
  const bound = r.token_endpoint ? String(r.token_endpoint) : null;
  const projectOk = !r.token_project || String(r.token_project) === String(r.endpoint_project ?? "");
  if (!sameTeam || (bound !== null && bound !== endpointId) || (bound === null && !projectOk)) {
    return { ok: false, refusal: "OTHER_ENDPOINT" };
  }
  const expiresAtMs = r.expires_at ? new Date(r.expires_at as string | Date).getTime() : null;
  return { ok: true, endpointId: endpointId!, orgId: String(r.endpoint_org), tokenId: String(r.token_id), expiresAtMs };
}

export interface TReadyReplica {
  id: string;
  url: string;
  version: number;
}

/** Unscoped: an endpoint `authorizeInferenceByHash` opened. Its replicas that take traffic now. */
export async function listReadyReplicasById(db: SqlDb, endpointId: string): Promise<TReadyReplica[]> {
  const rows = await runStatement<{ id: string; url: string; version: number | string }>(
    db,
    "ready_replicas",
    sql`SELECT rp.id, rp.url, v.version FROM endpoint_replicas rp JOIN model_versions v ON v.id = rp.model_version_id
        WHERE rp.endpoint_id = ${endpointId} AND rp.state = 'ready' AND rp.url IS NOT NULL ORDER BY rp.ready_at`,
  );
  return rows.map((r) => ({ id: String(r.id), url: String(r.url), version: Number(r.version) }));
}

export type TReplicaFileLookup =
  { status: "ok"; file: TModelFile } | { status: "unauthorized" } | { status: "stale" } | { status: "missing" };

/**
 * Unscoped: fenced by the agent token (by hash) and the replica's lease token. One file of the
 * model version a replica serves, for the agent that holds the replica's lease: 401 material
 * when the token may not act as an agent, stale when the lease is not this agent's any more.
 */
export async function findReplicaFileByHash(
  db: SqlDb,
  input: { tokenHash: string; replicaId: string; leaseToken: string; fileName: string },
): Promise<TReplicaFileLookup> {
  const [r] = await runStatement<Record<string, unknown>>(
    db,
    "replica_file",
    sql`
WITH tk AS (
  SELECT tk.* FROM api_tokens tk ${sql.raw(agentTokenJoinsSql())}
  WHERE tk.token_hash = ${input.tokenHash} AND ${sql.raw(agentTokenMayActSql())}
)
SELECT (SELECT id FROM tk) AS token_id,
  (SELECT f FROM endpoint_replicas rp JOIN agents a ON a.id = rp.agent_id
     JOIN model_versions v ON v.id = rp.model_version_id, jsonb_array_elements(v.files) f
   WHERE rp.id = ${input.replicaId} AND rp.lease_token::text = ${input.leaseToken}
     AND rp.state IN ('starting', 'ready') AND a.token_id = (SELECT id FROM tk)
     AND f->>'name' = ${input.fileName}) AS file,
  EXISTS (SELECT 1 FROM endpoint_replicas rp JOIN agents a ON a.id = rp.agent_id
     WHERE rp.id = ${input.replicaId} AND rp.lease_token::text = ${input.leaseToken}
       AND rp.state IN ('starting', 'ready') AND a.token_id = (SELECT id FROM tk)) AS held`,
  );
  if (!r?.token_id) return { status: "unauthorized" };
  if (!truthy(r.held)) return { status: "stale" };
  if (!r.file) return { status: "missing" };
  const f = (typeof r.file === "string" ? JSON.parse(r.file) : r.file) as TModelFile;
  return { status: "ok", file: { ...f, sizeBytes: Number(f.sizeBytes) } };
}

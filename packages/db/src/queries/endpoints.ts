import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { agents, apiTokens, endpointReplicas, endpointRevisions, endpoints, models, modelVersions, users } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

/**
 * Inference endpoints of a team (the tenant side: the dashboard, the API, the CLI). A
 * project-restricted token sees only its project's endpoints. Deleted endpoints look missing.
 */
function endpointScopeWhere(scope: TenantScope) {
  return and(
    eq(endpoints.orgId, scope.orgId),
    isNull(endpoints.deletedAt),
    scope.projectId ? eq(endpoints.projectId, scope.projectId) : undefined,
  );
}

/** What a replica needs per copy, as a study's `run.resources`. */
export interface TEndpointResources {
  gpus?: number;
  memory_gb?: number;
  labels?: Record<string, string>;
}

export interface TEndpointRow {
  id: string;
  name: string;
  projectId: string | null;
  modelId: string;
  modelName: string;
  alias: string | null;
  /** The fixed version's number (null when the endpoint follows `alias`). */
  fixedVersion: number | null;
  /** The version it should serve now: the fixed one, or the alias's target (null: the alias names nothing). */
  targetVersion: number | null;
  targetVersionId: string | null;
  /** The target version's flavor (which protocols it speaks). */
  targetFlavor: string | null;
  /** The builtin dataset the target version was trained on (its lineage's `run.builtin.dataset`): a glm on text is a language model. */
  targetBuiltinDataset: string | null;
  minReplicas: number;
  maxReplicas: number;
  resources: TEndpointResources;
  /** Autoscaling: in-flight requests per replica it aims at, and how long load stays low before a scale-down. */
  targetConcurrency: number;
  scaleDownDelayMs: number;
  /** The autoscaler's count (null until its first pass), why, and since when load has asked for fewer. */
  desiredReplicas: number | null;
  scaleReason: string | null;
  scaleLowSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const fixed = sql<number | null>`(select v.version from model_versions v where v.id = ${endpoints.versionId})`;
const targetId = sql<string | null>`coalesce(${endpoints.versionId},
  (select ma.version_id from model_aliases ma where ma.model_id = ${endpoints.modelId} and ma.alias = ${endpoints.alias}))`;

const ENDPOINT_COLUMNS = {
  id: endpoints.id,
  name: endpoints.name,
  projectId: endpoints.projectId,
  modelId: endpoints.modelId,
  modelName: models.name,
  alias: endpoints.alias,
  fixedVersion: fixed,
  targetVersionId: targetId,
  targetVersion: sql<number | null>`(select v.version from model_versions v where v.id = ${targetId})`,
  targetFlavor: sql<string | null>`(select v.flavor from model_versions v where v.id = ${targetId})`,
  targetBuiltinDataset: sql<
    string | null
  >`(select v.lineage->'run'->'builtin'->>'dataset' from model_versions v where v.id = ${targetId})`,
  minReplicas: endpoints.minReplicas,
  maxReplicas: endpoints.maxReplicas,
  resources: endpoints.resources,
  targetConcurrency: endpoints.targetConcurrency,
  scaleDownDelayMs: endpoints.scaleDownDelayMs,
  desiredReplicas: endpoints.desiredReplicas,
  scaleReason: endpoints.scaleReason,
  scaleLowSince: endpoints.scaleLowSince,
  createdAt: endpoints.createdAt,
  updatedAt: endpoints.updatedAt,
};

function endpointOf(r: Record<string, unknown>): TEndpointRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...(r as unknown as TEndpointRow),
    fixedVersion: n(r.fixedVersion),
    targetVersion: n(r.targetVersion),
    resources: (r.resources ?? {}) as TEndpointResources,
  };
}

/** The live endpoint of that name (case-insensitive, as names are unique that way), or null. */
export async function findEndpointByName(db: DbOrTx, scope: TenantScope, name: string): Promise<TEndpointRow | null> {
  const [row] = await db
    .select(ENDPOINT_COLUMNS)
    .from(endpoints)
    .innerJoin(models, eq(models.id, endpoints.modelId))
    .where(and(endpointScopeWhere(scope), sql`lower(${endpoints.name}) = lower(${name})`));
  return row ? endpointOf(row) : null;
}

export async function listEndpointRows(db: DbOrTx, scope: TenantScope): Promise<TEndpointRow[]> {
  const rows = await db
    .select(ENDPOINT_COLUMNS)
    .from(endpoints)
    .innerJoin(models, eq(models.id, endpoints.modelId))
    .where(endpointScopeWhere(scope))
    .orderBy(asc(endpoints.name));
  return rows.map(endpointOf);
}

export interface TNewEndpoint {
  name: string;
  projectId: string | null;
  modelId: string;
  alias: string | null;
  versionId: string | null;
  minReplicas: number;
  maxReplicas: number;
  resources: TEndpointResources;
  targetConcurrency?: number;
  scaleDownDelayMs?: number;
  userId: string;
}

/** Creates the endpoint; null when the team already has a live one of that name (any case). */
export async function insertEndpoint(db: DbOrTx, scope: TenantScope, input: TNewEndpoint): Promise<string | null> {
  const { userId, ...rest } = input;
  const rows = await db
    .insert(endpoints)
    .values({ orgId: scope.orgId, ...rest, createdByUserId: userId })
    .onConflictDoNothing()
    .returning({ id: endpoints.id });
  return rows[0]?.id ?? null;
}

export type TEndpointPatch = Partial<
  Pick<
    TNewEndpoint,
    "alias" | "versionId" | "minReplicas" | "maxReplicas" | "resources" | "modelId" | "targetConcurrency" | "scaleDownDelayMs"
  >
>;

export async function updateEndpoint(
  db: DbOrTx,
  scope: TenantScope,
  input: { id: string; patch: TEndpointPatch; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(endpoints)
    .set({ ...input.patch, updatedAt: input.at })
    .where(and(endpointScopeWhere(scope), eq(endpoints.id, input.id)))
    .returning({ id: endpoints.id });
  return rows.length > 0;
}

/** Soft-deletes the endpoint and revokes its keys; its replicas drain on the reconciler's next pass. */
export async function softDeleteEndpoint(db: DbOrTx, scope: TenantScope, input: { id: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(endpoints)
    .set({ deletedAt: input.at, updatedAt: input.at })
    .where(and(endpointScopeWhere(scope), eq(endpoints.id, input.id)))
    .returning({ id: endpoints.id });
  if (rows.length === 0) return false;
  await db
    .update(apiTokens)
    .set({ revokedAt: input.at })
    .where(and(eq(apiTokens.orgId, scope.orgId), eq(apiTokens.endpointId, input.id), isNull(apiTokens.revokedAt)));
  return true;
}

/** Replicas of the team's endpoints (all states, newest first), `limit` per call. */
export async function listEndpointReplicas(
  db: DbOrTx,
  scope: TenantScope,
  input: { endpointIds: string[]; limit?: number; liveOnly?: boolean },
) {
  if (input.endpointIds.length === 0) return [];
  return db
    .select({
      id: endpointReplicas.id,
      endpointId: endpointReplicas.endpointId,
      version: modelVersions.version,
      state: endpointReplicas.state,
      agentName: agents.name,
      gpus: endpointReplicas.gpus,
      reason: endpointReplicas.reason,
      createdAt: endpointReplicas.createdAt,
      readyAt: endpointReplicas.readyAt,
      endedAt: endpointReplicas.endedAt,
    })
    .from(endpointReplicas)
    .innerJoin(modelVersions, eq(modelVersions.id, endpointReplicas.modelVersionId))
    .leftJoin(agents, eq(agents.id, endpointReplicas.agentId))
    .where(
      and(
        eq(endpointReplicas.orgId, scope.orgId),
        inArray(endpointReplicas.endpointId, input.endpointIds),
        input.liveOnly ? inArray(endpointReplicas.state, ["pending", "starting", "ready", "draining"]) : undefined,
      ),
    )
    .orderBy(desc(endpointReplicas.createdAt))
    .limit(input.limit ?? 200);
}

/** The endpoint's version history, newest first. */
export async function listEndpointRevisions(db: DbOrTx, scope: TenantScope, endpointId: string) {
  return db
    .select({
      version: modelVersions.version,
      via: endpointRevisions.via,
      movedByEmail: users.email,
      movedAt: endpointRevisions.movedAt,
    })
    .from(endpointRevisions)
    .innerJoin(modelVersions, eq(modelVersions.id, endpointRevisions.modelVersionId))
    .leftJoin(users, eq(users.id, endpointRevisions.movedByUserId))
    .where(and(eq(endpointRevisions.orgId, scope.orgId), eq(endpointRevisions.endpointId, endpointId)))
    .orderBy(desc(endpointRevisions.movedAt), desc(endpointRevisions.id))
    .limit(100);
}

/**
 * Records that the endpoint now targets `modelVersionId`, unless its latest revision already
 * does (an update that changed only replicas, or an alias moved to where it was). True when written.
 */
export async function recordEndpointRevision(
  db: DbOrTx,
  scope: TenantScope,
  input: { endpointId: string; modelVersionId: string; userId: string | null; via: string },
): Promise<boolean> {
  const rows = await db.execute(sql`
    INSERT INTO endpoint_revisions (org_id, endpoint_id, model_version_id, moved_by_user_id, via)
    SELECT ${scope.orgId}, ${input.endpointId}, ${input.modelVersionId}, ${input.userId}, ${input.via}
    WHERE EXISTS (SELECT 1 FROM endpoints e WHERE e.id = ${input.endpointId} AND e.org_id = ${scope.orgId})
      AND ${input.modelVersionId}::uuid IS DISTINCT FROM (
        SELECT r.model_version_id FROM endpoint_revisions r WHERE r.endpoint_id = ${input.endpointId}
        ORDER BY r.moved_at DESC, r.id DESC LIMIT 1)
    RETURNING id`);
  return ((rows as unknown as { rows: unknown[] }).rows ?? []).length > 0;
}

/** The endpoint's keys (never their hashes). */
export async function listEndpointKeys(db: DbOrTx, scope: TenantScope, endpointId: string) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      createdAt: apiTokens.createdAt,
      createdByEmail: users.email,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.orgId, scope.orgId), eq(apiTokens.endpointId, endpointId)))
    .orderBy(desc(apiTokens.createdAt));
}

/** Revokes one key of the endpoint; false when it has no such live key. */
export async function revokeEndpointKey(
  db: DbOrTx,
  scope: TenantScope,
  input: { endpointId: string; keyId: string; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: input.at })
    .where(
      and(
        eq(apiTokens.orgId, scope.orgId),
        eq(apiTokens.endpointId, input.endpointId),
        eq(apiTokens.id, input.keyId),
        isNull(apiTokens.revokedAt),
      ),
    )
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/**
 * In the transaction that moved a model's alias: a revision for every live endpoint that follows
 * that alias (the endpoint page's history says who moved it and when), unless its latest
 * revision already names the version. The reconciler rolls the endpoints out.
 */
export async function recordAliasRevisions(
  db: DbOrTx,
  scope: TenantScope,
  input: { modelId: string; alias: string; versionId: string; userId: string | null },
): Promise<void> {
  await db.execute(sql`
    INSERT INTO endpoint_revisions (org_id, endpoint_id, model_version_id, moved_by_user_id, via)
    SELECT e.org_id, e.id, ${input.versionId}, ${input.userId}, 'alias' FROM endpoints e
    WHERE e.org_id = ${scope.orgId} AND e.model_id = ${input.modelId} AND e.alias = ${input.alias} AND e.deleted_at IS NULL
      AND ${input.versionId}::uuid IS DISTINCT FROM (
        SELECT r.model_version_id FROM endpoint_revisions r WHERE r.endpoint_id = e.id
        ORDER BY r.moved_at DESC, r.id DESC LIMIT 1)`);
}

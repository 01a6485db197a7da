import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { modelAliases, models, modelVersions } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

/**
 * Registered models (the registry's names). A model belongs to its team, and to the project it
 * was first registered from: a project-restricted token sees only that project's models.
 */
export function modelScopeWhere(scope: TenantScope) {
  return and(eq(models.orgId, scope.orgId), scope.projectId ? eq(models.projectId, scope.projectId) : undefined);
}

export interface TModelRow {
  id: string;
  name: string;
  projectId: string | null;
  description: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

const MODEL_COLUMNS = {
  id: models.id,
  name: models.name,
  projectId: models.projectId,
  description: models.description,
  tags: models.tags,
  createdAt: models.createdAt,
  updatedAt: models.updatedAt,
};

/** The model of that exact name, or null (also for another team's, or another project's). */
export async function findModelByName(db: DbOrTx, scope: TenantScope, name: string): Promise<TModelRow | null> {
  const [row] = await db
    .select(MODEL_COLUMNS)
    .from(models)
    .where(and(modelScopeWhere(scope), eq(models.name, name)));
  return row ?? null;
}

export type TLockedModel =
  | { status: "ok"; model: TModelRow; created: boolean }
  /** A model whose name differs only in case exists (`existing`), or the name is taken outside the token's project. */
  | { status: "taken"; existing: string | null };

/**
 * In the caller's transaction: the model called `name`, created when missing (with `projectId`
 * and `description`), and locked `FOR UPDATE` so version numbers are taken one at a time. Names
 * are unique per team; one that differs from an existing name only in case is refused too, since
 * `models:/Digits@champion` and `models:/digits@champion` naming different models would mislead.
 */
export async function lockOrCreateModel(
  tx: DbOrTx,
  scope: TenantScope,
  input: { name: string; projectId: string; description: string | null; userId: string | null },
): Promise<TLockedModel> {
  const [twin] = await tx
    .select({ name: models.name })
    .from(models)
    .where(
      and(eq(models.orgId, scope.orgId), sql`lower(${models.name}) = lower(${input.name})`, sql`${models.name} <> ${input.name}`),
    );
  if (twin) return { status: "taken", existing: twin.name };
  const inserted = await tx
    .insert(models)
    .values({
      orgId: scope.orgId,
      projectId: input.projectId,
      name: input.name,
      description: input.description,
      createdByUserId: input.userId,
    })
    .onConflictDoNothing()
    .returning({ id: models.id });
  const [row] = await tx
    .select(MODEL_COLUMNS)
    .from(models)
    .where(and(eq(models.orgId, scope.orgId), eq(models.name, input.name)))
    .for("update");
  if (!row) throw new Error("model row vanished inside its transaction");
  if (scope.projectId && row.projectId !== scope.projectId) return { status: "taken", existing: null };
  return { status: "ok", model: row, created: inserted.length > 0 };
}

/** Locks a visible model by name (alias moves, deletes): null when there is none in scope. */
export async function lockModel(tx: DbOrTx, scope: TenantScope, name: string): Promise<TModelRow | null> {
  const [row] = await tx
    .select(MODEL_COLUMNS)
    .from(models)
    .where(and(modelScopeWhere(scope), eq(models.name, name)))
    .for("update");
  return row ?? null;
}

/** Sets a visible model's description and/or tags (undefined leaves one as it is); null when there is no such model in scope. */
export async function updateModel(
  db: DbOrTx,
  scope: TenantScope,
  input: { name: string; description?: string | null | undefined; tags?: string[] | undefined },
): Promise<TModelRow | null> {
  const [row] = await db
    .update(models)
    .set({
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      updatedAt: new Date(),
    })
    .where(and(modelScopeWhere(scope), eq(models.name, input.name)))
    .returning(MODEL_COLUMNS);
  return row ?? null;
}

export async function touchModelById(tx: DbOrTx, modelId: string): Promise<void> {
  await tx.update(models).set({ updatedAt: new Date() }).where(eq(models.id, modelId));
}

/** Every visible model, by name. */
export async function listModelRows(db: DbOrTx, scope: TenantScope): Promise<TModelRow[]> {
  return db.select(MODEL_COLUMNS).from(models).where(modelScopeWhere(scope)).orderBy(asc(models.name));
}

export interface TAliasRow {
  modelId: string;
  alias: string;
  version: number;
  updatedAt: Date;
}

/** The aliases of these models (of the caller's team), with the version number each points at. */
export async function listAliasesOf(db: DbOrTx, scope: TenantScope, modelIds: string[]): Promise<TAliasRow[]> {
  if (modelIds.length === 0) return [];
  return db
    .select({
      modelId: modelAliases.modelId,
      alias: modelAliases.alias,
      version: modelVersions.version,
      updatedAt: modelAliases.updatedAt,
    })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .where(and(eq(modelAliases.orgId, scope.orgId), inArray(modelAliases.modelId, modelIds)))
    .orderBy(asc(modelAliases.alias));
}

/** Live (not deleted) versions' summary columns of these models: for listings and best metrics. */
export async function listVersionSummariesOf(db: DbOrTx, scope: TenantScope, modelIds: string[]) {
  if (modelIds.length === 0) return [];
  return db
    .select({
      modelId: modelVersions.modelId,
      version: modelVersions.version,
      metrics: modelVersions.metrics,
      lineage: modelVersions.lineage,
      createdAt: modelVersions.createdAt,
    })
    .from(modelVersions)
    .where(and(eq(modelVersions.orgId, scope.orgId), inArray(modelVersions.modelId, modelIds), isNull(modelVersions.deletedAt)))
    .orderBy(asc(modelVersions.modelId), asc(modelVersions.version));
}

import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import { modelAliases, modelVersions, users } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

/** One file of a version, as stored in `model_versions.files` (sorted by name). */
export interface TModelFile {
  name: string;
  sizeBytes: number;
  sha256: string;
  storeKey: string;
}

export type TModelVersionRow = typeof modelVersions.$inferSelect & { files: TModelFile[]; createdByEmail: string | null };

export interface TNewModelVersion {
  orgId: string;
  modelId: string;
  flavor: string;
  signature: unknown;
  files: TModelFile[];
  digest: string;
  totalBytes: number;
  studyId: string | null;
  trialId: string | null;
  attempt: number;
  agentId: string | null;
  lineage: Record<string, unknown>;
  metrics: Record<string, unknown>;
  source: unknown;
  description: string | null;
  createdByUserId: string | null;
  createdByTokenId: string | null;
}

/**
 * In the transaction that locked the model (lockOrCreateModel): the next version number is
 * taken there, so two registrations at once get 1 and 2, never the same. Deleted versions keep
 * their numbers: a number names one set of files forever.
 */
export async function insertModelVersionByModelId(
  tx: DbOrTx,
  v: TNewModelVersion,
): Promise<{ id: string; version: number; createdAt: Date }> {
  const [row] = await tx
    .insert(modelVersions)
    .values({
      ...v,
      version: sql`(select coalesce(max(mv.version), 0) + 1 from model_versions mv where mv.model_id = ${v.modelId})`,
    })
    .returning({ id: modelVersions.id, version: modelVersions.version, createdAt: modelVersions.createdAt });
  return row!;
}

const VERSION_COLUMNS = { ...getTableColumns(modelVersions), createdByEmail: users.email };

/** Every version of a visible model (deleted ones included, flagged by `deletedAt`), oldest first. */
export async function listModelVersions(db: DbOrTx, scope: TenantScope, modelId: string): Promise<TModelVersionRow[]> {
  const rows = await db
    .select(VERSION_COLUMNS)
    .from(modelVersions)
    .leftJoin(users, eq(users.id, modelVersions.createdByUserId))
    .where(and(eq(modelVersions.orgId, scope.orgId), eq(modelVersions.modelId, modelId)))
    .orderBy(asc(modelVersions.version));
  return rows as TModelVersionRow[];
}

/** Version `version` of the model (deleted or not), or null. */
export async function findModelVersion(
  db: DbOrTx,
  scope: TenantScope,
  input: { modelId: string; version: number },
): Promise<TModelVersionRow | null> {
  const [row] = await db
    .select(VERSION_COLUMNS)
    .from(modelVersions)
    .leftJoin(users, eq(users.id, modelVersions.createdByUserId))
    .where(
      and(
        eq(modelVersions.orgId, scope.orgId),
        eq(modelVersions.modelId, input.modelId),
        eq(modelVersions.version, input.version),
      ),
    );
  return (row as TModelVersionRow | undefined) ?? null;
}

/** The version number an alias of the model points at, or null. */
export async function findAliasVersion(
  db: DbOrTx,
  scope: TenantScope,
  input: { modelId: string; alias: string },
): Promise<number | null> {
  const [row] = await db
    .select({ version: modelVersions.version })
    .from(modelAliases)
    .innerJoin(modelVersions, eq(modelVersions.id, modelAliases.versionId))
    .where(
      and(eq(modelAliases.orgId, scope.orgId), eq(modelAliases.modelId, input.modelId), eq(modelAliases.alias, input.alias)),
    );
  return row?.version ?? null;
}

/**
 * In the transaction that locked the model: points `alias` at `versionId`, creating it when
 * missing. Returns the version number it pointed at before (null for a new alias).
 */
export async function moveModelAliasByModelId(
  tx: DbOrTx,
  input: { orgId: string; modelId: string; alias: string; versionId: string },
): Promise<number | null> {
  const previous = await findAliasVersion(tx, { orgId: input.orgId }, input);
  await tx
    .insert(modelAliases)
    .values({ orgId: input.orgId, modelId: input.modelId, alias: input.alias, versionId: input.versionId })
    .onConflictDoUpdate({
      target: [modelAliases.modelId, modelAliases.alias],
      set: { versionId: input.versionId, updatedAt: new Date() },
    });
  return previous;
}

/** In the transaction that locked the model: removes the alias; the version it pointed at, or null when there was none. */
export async function deleteModelAliasByModelId(
  tx: DbOrTx,
  input: { orgId: string; modelId: string; alias: string },
): Promise<number | null> {
  const previous = await findAliasVersion(tx, { orgId: input.orgId }, input);
  if (previous === null) return null;
  await tx
    .delete(modelAliases)
    .where(
      and(eq(modelAliases.orgId, input.orgId), eq(modelAliases.modelId, input.modelId), eq(modelAliases.alias, input.alias)),
    );
  return previous;
}

/** The aliases pointing at a version (a version with any cannot be deleted). */
export async function listAliasesByVersionId(db: DbOrTx, versionId: string): Promise<string[]> {
  const rows = await db
    .select({ alias: modelAliases.alias })
    .from(modelAliases)
    .where(eq(modelAliases.versionId, versionId))
    .orderBy(asc(modelAliases.alias));
  return rows.map((r) => r.alias);
}

/** Marks a version deleted (its row and files stay: lineage and audit still name it). */
export async function softDeleteModelVersionById(tx: DbOrTx, versionId: string): Promise<void> {
  await tx.update(modelVersions).set({ deletedAt: new Date() }).where(eq(modelVersions.id, versionId));
}

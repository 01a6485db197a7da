import {
  enqueueWebhookEvent,
  findRegistrationSource,
  findTokenName,
  insertModelVersionByModelId,
  listModelVersions,
  lockAttemptArtifactsById,
  lockOrCreateModel,
  touchModelById,
  withTransaction,
  writeAudit,
  type Actor,
  type DbOrTx,
  type TenantScope,
  type TModelFile,
  type TRegistrationSource,
} from "@autoglm/db/queries";
import type { DbHandle } from "@autoglm/db/client";
import type { TArtifactReader } from "../artifact-reader.js";
import { AppError, notFound } from "../errors.js";
import { moveAliasInTx } from "./alias-moves.js";
import { modelEventLinks } from "./events.js";
import { flavorOf, signatureOf, type TModelFlavor, type TModelSignature } from "./flavor.js";
import { lineageOf, metricsOf, type TLineage, type TRegistrant } from "./lineage.js";
import { resolveModelRef } from "./lookup.js";
import { byName, manifestDigest, verifyStoredFiles } from "./manifest.js";

export interface TRegisterInput {
  trialId: string;
  name: string;
  alias?: string | undefined;
  description?: string | undefined;
  /** The attempt whose files to register; default: the latest that uploaded any. */
  attempt?: number | undefined;
  /**
   * When the model already has a live version of this trial attempt, return it (moving `alias`
   * to it) instead of making another: decided under the model's row lock, so two server
   * replicas registering the same best trial at once make one version.
   */
  ifAbsent?: boolean;
}

export interface TRegisterDeps {
  db: DbHandle;
  artifacts: TArtifactReader | null;
}

export interface TRegisterCaller {
  scope: TenantScope;
  actor: Actor & { userId: string };
  email: string;
}

type TSource = TRegistrationSource & { attempt: number; files: TModelFile[] };

/** What a version records, worked out (and its files verified) before the transaction. */
interface TPrepared {
  src: TSource;
  flavor: TModelFlavor;
  signature: TModelSignature | null;
  digest: string;
  lineage: TLineage;
  registrant: TRegistrant;
}

function trialLabel(src: TRegistrationSource): string {
  return `trial #${src.trial.number} (${src.trial.id}) of study "${src.study.name}"`;
}

/** The trial's attempt and its files, or the precise reason there is nothing to register. */
async function loadSource(deps: TRegisterDeps, scope: TenantScope, input: TRegisterInput): Promise<TSource> {
  const src = await findRegistrationSource(deps.db.db, scope, input);
  if (!src) throw notFound("Trial");
  if (src.attempt === null || src.files.length === 0) {
    const which = input.attempt === undefined ? "" : ` in attempt ${input.attempt}`;
    throw new AppError("NO_ARTIFACTS", {
      userMessage: `${trialLabel(src)} has no uploaded files${which} to register (its agent uploads AUTOGLM_OUTPUT_DIR when an attempt ends).`,
    });
  }
  return { ...src, attempt: src.attempt, files: [...src.files].sort(byName) };
}

async function prepare(
  deps: TRegisterDeps,
  store: TArtifactReader,
  caller: TRegisterCaller,
  input: TRegisterInput,
): Promise<TPrepared> {
  const src = await loadSource(deps, caller.scope, input);
  await verifyStoredFiles(store, src.files, trialLabel(src));
  const flavor = flavorOf(
    src.study.spec,
    src.files.map((f) => f.name),
  );
  const tokenId = caller.actor.tokenId ?? null;
  const tokenName = tokenId ? await findTokenName(deps.db.db, caller.scope, tokenId) : null;
  const registrant = { userId: caller.actor.userId, email: caller.email, tokenId, tokenName };
  return {
    src,
    flavor,
    signature: await signatureOf(store, flavor, src.files),
    digest: manifestDigest(src.files),
    lineage: lineageOf(src, registrant, new Date()),
    registrant,
  };
}

/**
 * Registers a trial attempt's uploaded files as the next version of model `name` (created when
 * missing), optionally moving `alias` to it. The files are re-hashed from the store first
 * (streamed: I/O, never a whole file in memory; a changed file refuses the registration, naming
 * it); then one transaction writes the version, the alias move, their audit rows and their
 * webhook outbox rows, so either all of it happened or none.
 */
export async function registerTrialModel(deps: TRegisterDeps, caller: TRegisterCaller, input: TRegisterInput) {
  const store = deps.artifacts;
  if (!store) {
    throw new AppError("ARTIFACT_STORE_MISSING", {
      userMessage: "This server has no artifact store configured, so models cannot be registered.",
    });
  }
  const prepared = await prepare(deps, store, caller, input);
  const created = await withTransaction(deps.db.db, (tx) => recordVersion(tx, caller, input, prepared));
  return resolveModelRef(deps.db.db, caller.scope, { name: input.name, version: created.version });
}

async function lockModelFor(tx: DbOrTx, caller: TRegisterCaller, input: TRegisterInput, src: TSource) {
  const locked = await lockOrCreateModel(tx, caller.scope, {
    name: input.name,
    projectId: src.study.projectId,
    description: null,
    userId: caller.actor.userId,
  });
  if (locked.status === "ok") return locked.model;
  throw new AppError("MODEL_NAME_TAKEN", {
    userMessage: locked.existing
      ? `The team has a model named "${locked.existing}"; names may not differ only in case. Register under "${locked.existing}" or choose another name.`
      : `The name "${input.name}" is taken by a model outside this token's project.`,
  });
}

/** Share-locks the attempt's file rows (retention deletes only what it could lock for update), or says they are gone. */
async function lockSourceFiles(tx: DbOrTx, src: TSource): Promise<void> {
  const kept = await lockAttemptArtifactsById(tx, {
    trialId: src.trial.id,
    attempt: src.attempt,
    names: src.files.map((f) => f.name),
  });
  if (kept !== src.files.length) {
    throw new AppError("NO_ARTIFACTS", {
      userMessage: `The files of ${trialLabel(src)} were deleted (artifact retention) while it was being registered.`,
    });
  }
}

/** The `model_version.created` event, in the version's transaction (the outbox). */
async function queueVersionCreated(
  tx: DbOrTx,
  v: {
    orgId: string;
    modelName: string;
    version: number;
    alias: string | null;
    metrics: Record<string, number>;
    totalBytes: number;
  },
  p: TPrepared,
): Promise<void> {
  const { src, digest } = p;
  const links = modelEventLinks({ name: v.modelName, version: v.version, studyId: src.study.id, trialId: src.trial.id });
  await enqueueWebhookEvent(tx, {
    orgId: v.orgId,
    event: "model_version.created",
    data: {
      model: v.modelName,
      version: v.version,
      uri: links.uri,
      digest,
      flavor: p.flavor,
      total_bytes: v.totalBytes,
      files: src.files.map((f) => ({ name: f.name, size: f.sizeBytes, sha256: f.sha256 })),
      study: { id: src.study.id, name: src.study.name },
      trial: { id: src.trial.id, number: src.trial.number, attempt: src.attempt },
      metrics: v.metrics,
      registered_by: p.registrant.tokenName ? `${p.registrant.email} (token ${p.registrant.tokenName})` : p.registrant.email,
      alias: v.alias,
      links: links.paths,
    },
  });
}

async function recordVersion(tx: DbOrTx, caller: TRegisterCaller, input: TRegisterInput, p: TPrepared) {
  const { src, digest } = p;
  const orgId = caller.scope.orgId;
  const model = await lockModelFor(tx, caller, input, src);
  await lockSourceFiles(tx, src);
  if (input.ifAbsent) {
    const same = (await listModelVersions(tx, caller.scope, model.id)).find(
      (v) => !v.deletedAt && v.trialId === src.trial.id && v.attempt === src.attempt,
    );
    if (same) {
      if (input.alias)
        await moveAliasInTx(tx, caller, {
          model,
          alias: input.alias,
          versionId: same.id,
          version: same.version,
          digest: same.digest,
        });
      return same;
    }
  }
  const metrics = metricsOf(src);
  const totalBytes = src.files.reduce((n, f) => n + f.sizeBytes, 0);
  const row = await insertModelVersionByModelId(tx, {
    orgId,
    modelId: model.id,
    flavor: p.flavor,
    signature: p.signature,
    files: src.files,
    digest,
    totalBytes,
    studyId: src.study.id,
    trialId: src.trial.id,
    attempt: src.attempt,
    agentId: src.agent?.id ?? null,
    lineage: p.lineage,
    metrics,
    source: src.source,
    description: input.description ?? null,
    createdByUserId: caller.actor.userId,
    createdByTokenId: caller.actor.tokenId ?? null,
  });
  const details = { model: model.name, version: row.version, digest, trialId: src.trial.id, attempt: src.attempt };
  await writeAudit(tx, {
    orgId,
    actor: caller.actor,
    action: "model.version.create",
    targetType: "model_version",
    targetId: row.id,
    details,
  });
  await queueVersionCreated(
    tx,
    { orgId, modelName: model.name, version: row.version, alias: input.alias ?? null, metrics, totalBytes },
    p,
  );
  if (input.alias)
    await moveAliasInTx(tx, caller, { model, alias: input.alias, versionId: row.id, version: row.version, digest });
  await touchModelById(tx, model.id);
  return row;
}

import { z } from "zod";
import {
  findAliasVersion,
  findEndpointByName,
  findModelByName,
  findModelVersion,
  insertEndpoint,
  recordEndpointRevision,
  updateEndpoint,
  writeAudit,
  type Actor,
  type DbOrTx,
  type TEndpointPatch,
  type TEndpointRow,
  type TenantScope,
} from "@autoglm/db/queries";
import { ZRunResources } from "@autoglm/protocol";
import { AppError, notFound } from "../errors.js";
import { zAliasName, zModelName, zVersionNumber } from "../models/references.js";

/** Endpoint names are one segment of `/serve/<team>/<endpoint>`: the model names' rule (no `/`, no `@`). */
export const zEndpointName = zModelName;

/** At most 16 replicas an endpoint: a team's own agents, not a fleet. */
export const MAX_REPLICAS = 16;

export const ZEndpointTarget = z
  .object({
    model: zModelName,
    /** The alias it follows (default `production` when no version is given). */
    alias: zAliasName.optional(),
    /** A fixed version instead of an alias. */
    version: zVersionNumber.optional(),
  })
  .strict();

/**
 * Autoscaling between min and max replicas (Knative's KPA): replicas = ceil(in-flight requests /
 * targetConcurrency), up at once, down after the load stayed low for scaleDownDelaySeconds.
 */
export const ZAutoscale = z
  .object({
    /**
     * In-flight requests one replica should carry. Default 4: a replica runs inference off its
     * event loop on a pool of a few threads (2–4 cores on a typical agent), so more in flight only
     * queues inside it and adds latency, while fewer starts replicas for requests that take 1 ms.
     */
    targetConcurrency: z.number().gt(0, "must be greater than 0").max(1000).optional(),
    /** How long the load must stay low before replicas drain (seconds). Default 60, Knative's stable window. */
    scaleDownDelaySeconds: z.number().min(0).max(3600).optional(),
  })
  .strict();

export const ZEndpointSizing = z
  .object({
    minReplicas: z.number().int().min(0).max(MAX_REPLICAS).optional(),
    maxReplicas: z.number().int().min(1).max(MAX_REPLICAS).optional(),
    /** Per replica, as a study's `run.resources`. */
    resources: ZRunResources.optional(),
    autoscale: ZAutoscale.optional(),
  })
  .strict();

/** min > max given in one request is refused by the schema; against stored values, by checkSizing. */
export function refineSizing(v: { minReplicas?: number | undefined; maxReplicas?: number | undefined }, ctx: z.RefinementCtx) {
  if (v.minReplicas !== undefined && v.maxReplicas !== undefined && v.minReplicas > v.maxReplicas) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [],
      message: `minReplicas (${v.minReplicas}) must be at most maxReplicas (${v.maxReplicas}).`,
    });
  }
}

/** The stored columns an `autoscale` input sets. */
function autoscaleColumns(a: z.infer<typeof ZAutoscale> | undefined): { targetConcurrency?: number; scaleDownDelayMs?: number } {
  return {
    ...(a?.targetConcurrency !== undefined ? { targetConcurrency: a.targetConcurrency } : {}),
    ...(a?.scaleDownDelaySeconds !== undefined ? { scaleDownDelayMs: Math.round(a.scaleDownDelaySeconds * 1000) } : {}),
  };
}

/** Flavors a replica can load (the protocol's replica flavors that a registry version can have). */
export const SERVABLE_FLAVORS: readonly string[] = ["builtin-mlp", "builtin-glm", "onnx", "command"];

/** `what` names the files: `version 2 of model "churn"`, `the best trial (#4) of study "digits"`. */
export function notServable(what: string, flavor: string): AppError {
  return new AppError("MODEL_NOT_SERVABLE", {
    userMessage: `The files of ${what} have flavor "${flavor}", which no replica can load; endpoints serve ${SERVABLE_FLAVORS.join(", ")} models (a command's trial serves once it writes model.onnx to AUTOGLM_OUTPUT_DIR, or when its study declares serve.command).`,
  });
}

export interface TCaller {
  scope: TenantScope;
  actor: Actor & { userId: string };
}

/** The model and the version an alias or a version number names, or the precise reason there is none. */
export async function resolveTarget(
  db: DbOrTx,
  scope: TenantScope,
  input: { model: string; alias?: string | undefined; version?: number | undefined },
): Promise<{ modelId: string; projectId: string | null; alias: string | null; versionId: string | null; version: number }> {
  if (input.alias && input.version) {
    throw new AppError("BAD_REQUEST", { userMessage: "Give an alias or a version for the endpoint to serve, not both." });
  }
  const model = await findModelByName(db, scope, input.model);
  if (!model) throw notFound("Model");
  if (input.version) {
    const v = await findModelVersion(db, scope, { modelId: model.id, version: input.version });
    if (!v || v.deletedAt) {
      throw new AppError("NOT_FOUND", { userMessage: `Model "${model.name}" has no live version ${input.version}.` });
    }
    if (!SERVABLE_FLAVORS.includes(v.flavor)) throw notServable(`version ${v.version} of model "${model.name}"`, v.flavor);
    return { modelId: model.id, projectId: model.projectId, alias: null, versionId: v.id, version: v.version };
  }
  const alias = input.alias ?? "production";
  const version = await findAliasVersion(db, scope, { modelId: model.id, alias });
  const v = version === null ? null : await findModelVersion(db, scope, { modelId: model.id, version });
  if (!v || v.deletedAt) {
    throw new AppError("NOTHING_TO_SERVE", {
      userMessage: `Model "${model.name}" has no alias "${alias}" pointing at a live version; set it first (model.setAlias) or deploy a study's best trial.`,
    });
  }
  if (!SERVABLE_FLAVORS.includes(v.flavor)) throw notServable(`version ${v.version} of model "${model.name}"`, v.flavor);
  return { modelId: model.id, projectId: model.projectId, alias, versionId: null, version: v.version };
}

function checkSizing(min: number, max: number): void {
  if (min > max) {
    throw new AppError("BAD_REQUEST", { userMessage: `minReplicas (${min}) must be at most maxReplicas (${max}).` });
  }
}

function nameTaken(name: string): AppError {
  return new AppError("ENDPOINT_NAME_TAKEN", {
    userMessage: `The team already has an endpoint named "${name}" (names are unique regardless of case).`,
  });
}

/** Creates the endpoint with its first revision and audit row, in the caller's transaction. */
export async function createEndpointInTx(
  tx: DbOrTx,
  caller: TCaller,
  input: z.infer<typeof ZEndpointTarget> & z.infer<typeof ZEndpointSizing> & { name: string; via: string },
): Promise<TEndpointRow> {
  if (await findEndpointByName(tx, caller.scope, input.name)) throw nameTaken(input.name);
  const target = await resolveTarget(tx, caller.scope, input);
  const min = input.minReplicas ?? 1;
  const max = input.maxReplicas ?? Math.max(1, min);
  checkSizing(min, max);
  const id = await insertEndpoint(tx, caller.scope, {
    name: input.name,
    projectId: target.projectId,
    modelId: target.modelId,
    alias: target.alias,
    versionId: target.versionId,
    minReplicas: min,
    maxReplicas: max,
    resources: input.resources ?? { gpus: 0 },
    ...autoscaleColumns(input.autoscale),
    userId: caller.actor.userId,
  });
  // A concurrent create of the same name, or a name taken outside a token's project.
  if (!id) throw nameTaken(input.name);
  const row = (await findEndpointByName(tx, caller.scope, input.name))!;
  await afterChange(tx, caller, row, { action: "endpoint.create", via: input.via, details: { model: input.model } });
  return row;
}

/** Applies a change to an endpoint (target and/or sizing), with a revision when its version moved and an audit row. */
export async function updateEndpointInTx(
  tx: DbOrTx,
  caller: TCaller,
  current: TEndpointRow,
  input: Partial<z.infer<typeof ZEndpointTarget>> & z.infer<typeof ZEndpointSizing> & { via: string },
): Promise<TEndpointRow> {
  const patch: TEndpointPatch = {};
  if (input.model !== undefined || input.alias !== undefined || input.version !== undefined) {
    const target = await resolveTarget(tx, caller.scope, {
      model: input.model ?? current.modelName,
      alias: input.alias ?? (input.version === undefined ? (current.alias ?? undefined) : undefined),
      version: input.version,
    });
    Object.assign(patch, { modelId: target.modelId, alias: target.alias, versionId: target.versionId });
  }
  const min = input.minReplicas ?? current.minReplicas;
  const max = input.maxReplicas ?? Math.max(current.maxReplicas, min);
  checkSizing(min, max);
  Object.assign(patch, { minReplicas: min, maxReplicas: max });
  if (input.resources) patch.resources = input.resources;
  Object.assign(patch, autoscaleColumns(input.autoscale));
  await updateEndpoint(tx, caller.scope, { id: current.id, patch, at: new Date() });
  const row = (await findEndpointByName(tx, caller.scope, current.name))!;
  const { via, ...changes } = input;
  await afterChange(tx, caller, row, { action: "endpoint.update", via, details: changes });
  return row;
}

async function afterChange(
  tx: DbOrTx,
  caller: TCaller,
  row: TEndpointRow,
  input: { action: string; via: string; details: Record<string, unknown> },
): Promise<void> {
  if (row.targetVersionId) {
    await recordEndpointRevision(tx, caller.scope, {
      endpointId: row.id,
      modelVersionId: row.targetVersionId,
      userId: caller.actor.userId,
      via: input.via,
    });
  }
  await writeAudit(tx, {
    orgId: caller.scope.orgId,
    actor: caller.actor,
    action: input.action,
    targetType: "endpoint",
    targetId: row.id,
    details: { name: row.name, ...input.details, version: row.targetVersion },
  });
}

/** The live endpoint of that name, or NOT_FOUND (another team's answers the same, S1). */
export async function loadEndpoint(db: DbOrTx, scope: TenantScope, name: string): Promise<TEndpointRow> {
  const row = await findEndpointByName(db, scope, name);
  if (!row) throw notFound("Endpoint");
  return row;
}

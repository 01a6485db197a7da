import { z } from "zod";
import { findEndpointByName, findRegistrationSource, withTransaction, type DbOrTx, type TenantScope } from "@autoglm/db/queries";
import { studySpecOf } from "@autoglm/protocol";
import { AppError } from "../errors.js";
import { registerTrialModel, type TRegisterCaller, type TRegisterDeps } from "../models/register.js";
import { loadStudyOrNotFound } from "../procedures/study/get-study.js";
import { zId } from "../procedures/shared.js";
import { flavorOf } from "../models/flavor.js";
import {
  createEndpointInTx,
  notServable,
  refineSizing,
  SERVABLE_FLAVORS,
  updateEndpointInTx,
  zEndpointName,
  ZEndpointSizing,
  type TCaller,
} from "./changes.js";
import { createEndpointKeyInTx, type TEndpointKey } from "./keys.js";
import { zModelName } from "../models/references.js";

/** The alias "Deploy best" moves: an endpoint created by deploy follows it. */
export const DEPLOY_ALIAS = "production";

export const ZDeployInput = ZEndpointSizing.extend({
  studyId: zId,
  /** The endpoint's name (default: the model's). */
  name: zEndpointName.optional(),
  /** The model to register under (default: the spec's `register.model`, else one made from the study's name). */
  model: zModelName.optional(),
  /** Return a new endpoint key (default: only when the endpoint is created). */
  createKey: z.boolean().optional(),
})
  .strict()
  .superRefine(refineSizing);
export type TDeployInput = z.infer<typeof ZDeployInput>;

/** A model name from a study's name: its letters, digits, `.`, `_`, `-` (others become `-`), at most 64. */
export function modelNameOfStudy(studyName: string): string {
  const name = studyName
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64)
    .replace(/[^A-Za-z0-9]+$/, "");
  return name || "model";
}

/**
 * "Deploy best": registers the study's best trial as a version of its model unless it already is
 * one (ifAbsent, under the model's lock), points the model's `production` alias at it, and
 * creates the endpoint following that alias, or moves an existing one onto it. The reconciler
 * then starts replicas of the version and drains the old ones once the new ones are ready.
 */
export async function deployStudyBest(
  deps: TRegisterDeps,
  caller: TCaller & TRegisterCaller,
  input: TDeployInput,
  now: Date,
): Promise<{ created: boolean; endpointName: string; model: string; version: number; key: TEndpointKey | null }> {
  const study = await loadStudyOrNotFound(deps.db.db, caller.scope, input.studyId);
  if (!study.bestTrialId) {
    throw new AppError("NOTHING_TO_SERVE", {
      userMessage: `Study "${study.name}" has no best trial yet: deploy it once a trial has completed.`,
    });
  }
  const modelName = input.model ?? studySpecOf(study.spec).register?.model ?? modelNameOfStudy(study.name);
  await checkServable(deps.db.db, caller.scope, study.bestTrialId);
  const { model, version } = await registerTrialModel(deps, caller, {
    trialId: study.bestTrialId,
    name: modelName,
    alias: DEPLOY_ALIAS,
    ifAbsent: true,
  });
  const endpointName = input.name ?? model.name;
  const sizing = {
    minReplicas: input.minReplicas,
    maxReplicas: input.maxReplicas,
    resources: input.resources,
    autoscale: input.autoscale,
  };
  return withTransaction(deps.db.db, async (tx) => {
    const existing = await findEndpointByName(tx, caller.scope, endpointName);
    const target = { model: model.name, alias: DEPLOY_ALIAS, via: "deploy" };
    const row = existing
      ? await updateEndpointInTx(tx, caller, existing, { ...target, ...sizing })
      : await createEndpointInTx(tx, caller, { ...target, ...sizing, name: endpointName });
    const wantsKey = input.createKey ?? !existing;
    const key = wantsKey ? await createEndpointKeyInTx(tx, caller, { endpoint: row, keyName: "deploy", now }) : null;
    return { created: !existing, endpointName: row.name, model: model.name, version: version.version, key };
  });
}

/** Refuses, before anything is registered, a best trial whose files no replica could load (flavor `files`). */
async function checkServable(db: DbOrTx, scope: TenantScope, trialId: string): Promise<void> {
  const src = await findRegistrationSource(db, scope, { trialId });
  if (!src || src.attempt === null || src.files.length === 0) return; // registration says precisely why
  const flavor = flavorOf(
    studySpecOf(src.study.spec),
    src.files.map((f) => f.name),
  );
  if (!SERVABLE_FLAVORS.includes(flavor)) {
    throw notServable(`the best trial (#${src.trial.number}) of study "${src.study.name}"`, flavor);
  }
}

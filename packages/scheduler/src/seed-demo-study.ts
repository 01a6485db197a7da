import type { DbHandle } from "@autoglm/db/client";
import { findStudyByName, insertStudy, listTrials, withTransaction, writeAudit } from "@autoglm/db/queries";
import { parseStudySpec, primaryObjective, type TStudySpecInput } from "@autoglm/protocol";
import { askTrial } from "./ask-trial.js";
import { reportTrial } from "./report-trial.js";
import { tellTrial } from "./tell-trial.js";

export const DEMO_STUDY_SPEC: TStudySpecInput = {
  name: "branin-demo",
  description: "The Branin function (minimum 0.397887 at three points), seeded at first start.",
  objective: { metric: "loss", direction: "minimize" },
  space: {
    x1: { type: "float", low: -5, high: 10 },
    x2: { type: "float", low: 0, high: 15 },
  },
  // The defaults a newcomer should see at work: `auto` (GP, TPE or CMA-ES per phase) and ASHA.
  sampler: { name: "auto", seed: 0 },
  pruner: { name: "asha" },
  budget: { max_trials: 100, max_parallel: 2 },
  // Run by the local agent that `npm start` launches (its working directory is the repo).
  run: { command: "node examples/demo/branin-curve.mjs", resources: { gpus: 0 }, timeout_minutes: 5 },
};

/**
 * A small built-in MLP on `digits` that the local agent trains (about a minute on two CPU
 * cores): its best trial is registered as model `digits-mlp`, alias `champion`, through the
 * spec's `register` section, so a first start also shows the model registry at work.
 */
export const DIGITS_DEMO_STUDY_SPEC: TStudySpecInput = {
  name: "digits-mlp-demo",
  description: "A built-in MLP on the digits dataset; each new best trial becomes a version of model digits-mlp.",
  objective: { metric: "val_accuracy", direction: "maximize" },
  space: {
    lr: { type: "float", low: 1e-3, high: 3e-2, log: true },
    hidden: { type: "int", low: 16, high: 96 },
    layers: { type: "int", low: 1, high: 2 },
  },
  sampler: { name: "auto", seed: 0 },
  budget: { max_trials: 8, max_parallel: 2 },
  run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 6, params: { batch_size: 32 } }, timeout_minutes: 5 },
  register: { model: "digits-mlp", alias: "champion" },
};

/** Creates the running "digits-mlp-demo" study (idempotent); the local agent runs its trials. */
export async function seedDigitsDemoStudy(
  handle: DbHandle,
  input: { orgId: string; projectId: string; userId: string },
): Promise<{ studyId: string; created: boolean }> {
  const scope = { orgId: input.orgId };
  const found = await findStudyByName(handle.db, scope, { projectId: input.projectId, name: "digits-mlp-demo" });
  if (found) return { studyId: found.id, created: false };
  const row = await insertSeededStudy(handle, input, DIGITS_DEMO_STUDY_SPEC);
  return { studyId: row.id, created: true };
}

async function insertSeededStudy(
  handle: DbHandle,
  input: { orgId: string; projectId: string; userId: string },
  specInput: TStudySpecInput,
) {
  const parsed = parseStudySpec(specInput);
  if (!parsed.ok) throw new Error(`demo spec is invalid: ${parsed.message}`);
  const spec = parsed.spec;
  const scope = { orgId: input.orgId };
  return withTransaction(handle.db, async (tx) => {
    const row = await insertStudy(tx, scope, {
      projectId: input.projectId,
      name: spec.name,
      spec,
      direction: primaryObjective(spec).direction,
      metric: primaryObjective(spec).metric,
      createdBy: input.userId,
    });
    await writeAudit(tx, {
      orgId: input.orgId,
      actor: { userId: input.userId },
      action: "study.create",
      targetType: "study",
      targetId: row.id,
      details: { name: spec.name, seeded: true },
    });
    return row;
  });
}

/** Branin-Hoo: global minimum 0.397887 at (-π, 12.275), (π, 2.275), (9.42478, 2.475). */
export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

/**
 * Creates the running "branin-demo" study in the demo project and evaluates trials through
 * the real ask → report → tell path until `trials` have finished, so the dashboard shows a
 * history chart at first start. Idempotent: an existing study is topped up, never duplicated.
 */
export async function seedDemoStudy(
  handle: DbHandle,
  input: { orgId: string; projectId: string; userId: string; trials?: number },
): Promise<{ studyId: string; created: boolean }> {
  const scope = { orgId: input.orgId };
  const want = input.trials ?? 20;
  let created = false;
  let study = await findStudyByName(handle.db, scope, { projectId: input.projectId, name: "branin-demo" });
  if (!study) {
    study = await insertSeededStudy(handle, input, DEMO_STUDY_SPEC);
    created = true;
  }
  if (study.state !== "running") return { studyId: study.id, created };
  const done = await listTrials(handle.db, scope, { studyId: study.id, state: "complete", limit: want, offset: 0 });
  const deps = { db: handle.db };
  const actor = { userId: input.userId };
  for (let i = done.rows.length; i < want; i++) {
    const t = await askTrial(deps, { scope, studyId: study.id, actor });
    const final = branin(Number(t.params.x1), Number(t.params.x2));
    // A few intermediate values converging on the final one, so the trial page has a curve.
    for (let step = 0; step < 5; step++) {
      await reportTrial(deps, { scope, trialId: t.trialId, step, value: final * (1 + (4 - step) * 0.25) });
    }
    await tellTrial(deps, { scope, trialId: t.trialId, value: final, actor });
  }
  return { studyId: study.id, created };
}

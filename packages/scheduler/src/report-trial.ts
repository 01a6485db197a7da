import { prunerMayDecide, type THistoryTrial } from "@autoglm/optimizer";
import {
  type DbOrTx,
  getStudy,
  listTrialValues,
  lockTrial,
  type TenantScope,
  updateTrialById,
  upsertTrialValue,
  withTransaction,
} from "@autoglm/db/queries";
import { studySpecOf, type TStudySpec } from "@autoglm/protocol";
import { historyShapeForPruning, historyTrialsOf, pruneReason } from "./ask-optimizer.js";
import { pruningConfigOf } from "./optimizer-config.js";
import { askLeaseMs } from "./ask-trial.js";
import { nowOf, SchedulerError, type TAskTellDeps } from "./ask-types.js";
import type { TLiveEvent } from "@autoglm/protocol";
import { sharedOptimizerPool } from "./optimizer-pool.js";
import { answerCall, historyWork, type TCallOf } from "./optimizer-task.js";
import { studyHistories } from "./study-history.js";

/**
 * The trial's last reported step before `step` (-Infinity if none): where the pruner last
 * looked. In order (the usual case) it is the stored last step; a replayed or out-of-order
 * step reads the trial's own values.
 */
async function previousStep(
  tx: DbOrTx,
  scope: TenantScope,
  trial: { id: string; lastStep: number | null },
  step: number,
): Promise<number> {
  if (trial.lastStep === null) return -Infinity;
  if (trial.lastStep < step) return trial.lastStep;
  let prev = -Infinity;
  for (const v of await listTrialValues(tx, scope, trial.id)) if (v.step < step && v.step > prev) prev = v.step;
  return prev;
}

type TInput = { scope: TenantScope; trialId: string; step: number; value: number };
type TReportResultOut = { prune: boolean; reason?: string; leaseExpiresAt: Date; events: TLiveEvent[] };
/** What the first transaction ends with: the stored report, or the pruner's work to do first. */
type TReportPlan = { stored: TReportResultOut } | { call: TCallOf<"report">; trials: THistoryTrial[]; prunerName: string };

/**
 * Stores an intermediate value (idempotent per (trial, step)), renews the ask-lease and asks
 * the study's pruner whether to stop. The trial stays running: like Optuna, the program
 * decides to stop and tells `pruned`. A decision that fits a model (ASHA's forecast) or
 * rebuilds a big history runs in a worker (optimizer-pool.ts) between two short transactions,
 * not under the trial's lock (PGlite runs every query through one connection); the value is
 * stored after the decision, so a decision past its time budget stores nothing.
 */
export async function reportTrial(deps: TAskTellDeps, input: TInput): Promise<TReportResultOut> {
  const pool = deps.optimizerPool ?? sharedOptimizerPool();
  const plan = await withTransaction(deps.db, async (tx): Promise<TReportPlan> => {
    const { trial, study, spec } = await lockReportableTrial(tx, input);
    const config = pruningConfigOf(spec);
    const pruner = config.pruner ?? { name: "none" };
    let reason: string | null = null;
    // Most reports cross no rung of a halving pruner: then no history can stop the trial, and
    // the whole study's curves are not read (the read is most of a report's cost).
    if (pruner.name !== "none" && prunerMayDecide(pruner, input.step, await previousStep(tx, input.scope, trial, input.step))) {
      const history = await (deps.histories ?? studyHistories).load(tx, study.id);
      const mine = history.find((h) => h.trial.number === trial.number);
      // Feed this trial without the step being reported, then report it: a replayed step
      // gives the same answer as the first time.
      if (mine) mine.intermediate = mine.intermediate.filter(([s]) => s !== input.step);
      const trials = historyTrialsOf(history, undefined, historyShapeForPruning(spec));
      const call = { kind: "report" as const, config, id: trial.number, step: input.step, value: input.value };
      if (!pool.runsInline(call, historyWork(trials))) return { call, trials, prunerName: pruner.name };
      reason = pruneReason(pruner.name, answerCall(call, trials));
    }
    return { stored: await storeReport(deps, tx, trial, spec, input, reason) };
  });
  if ("stored" in plan) return plan.stored;
  const decision = await pool.run(plan.call, plan.trials, { timeoutMs: deps.config?.optimizerTimeoutMs });
  return withTransaction(deps.db, async (tx) => {
    const { trial, spec } = await lockReportableTrial(tx, input);
    return storeReport(deps, tx, trial, spec, input, pruneReason(plan.prunerName, decision));
  });
}

type TLockedTrial = NonNullable<Awaited<ReturnType<typeof lockTrial>>>;

/** The trial row, locked, if it takes reports through the API, with its study. */
async function lockReportableTrial(tx: DbOrTx, input: TInput) {
  const trial = await lockTrial(tx, input.scope, input.trialId);
  if (!trial) throw new SchedulerError("NOT_FOUND", "Trial not found.");
  if (trial.state !== "running") {
    throw new SchedulerError(
      "TRIAL_NOT_RUNNING",
      `Trial ${trial.number} is ${trial.state}${trial.endCode ? ` (${trial.endCode})` : ""}; it takes no more reports.`,
    );
  }
  if (trial.leaseKind !== "ask") {
    throw new SchedulerError("TRIAL_LEASED_TO_AGENT", `Trial ${trial.number} is run by an agent; it reports through the agent.`);
  }
  const study = await getStudy(tx, input.scope, trial.studyId);
  if (!study) throw new SchedulerError("NOT_FOUND", "Trial not found.");
  return { trial, study, spec: studySpecOf(study.spec) };
}

async function storeReport(
  deps: TAskTellDeps,
  tx: DbOrTx,
  trial: TLockedTrial,
  spec: TStudySpec,
  input: TInput,
  reason: string | null,
): Promise<TReportResultOut> {
  await upsertTrialValue(tx, input.scope, {
    trialId: trial.id,
    step: input.step,
    value: input.value,
    attempt: trial.attempt,
  });
  const leaseExpiresAt = new Date(nowOf(deps).getTime() + askLeaseMs(deps, spec));
  await updateTrialById(tx, trial.id, {
    leaseExpiresAt,
    lastStep: Math.max(trial.lastStep ?? -1, input.step),
  });
  return {
    prune: reason !== null,
    ...(reason === null ? {} : { reason }),
    leaseExpiresAt,
    events: [{ type: "trial:updated", orgId: trial.orgId, studyId: trial.studyId, trialId: trial.id }],
  };
}

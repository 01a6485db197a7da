import { countInFlightByStudyId, ENQUEUED, lockStudy, withTransaction, writeAudit, type TenantScope } from "@autoglm/db/queries";
import { OptimizerError, paramsChecker, type TParams } from "@autoglm/optimizer";
import { studySpecOf, type TLiveEvent } from "@autoglm/protocol";
import { askLifecycle, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";

export interface TEnqueuedTrial {
  trialId: string;
  number: number;
  params: TParams;
  events: TLiveEvent[];
}

/**
 * Queues a trial with params a user fixed (`trial enqueue`, "Re-run with these params";
 * Optuna's `enqueue_trial`): the study's next ask or agent lease gets exactly these params.
 * The params pass the optimizer's own check against the study's space (unknown names, ranges,
 * types, inactive conditionals: an error naming the parameter, nothing stored). The trial is
 * inserted `waiting` through the lifecycle's one insert, so it takes a number and counts
 * against `max_trials`; it is in flight from then on, so the run loop's top-up does not add a
 * sampler trial for it. The optimizer learns it from the trials table like any other.
 */
export async function enqueueTrial(
  deps: TAskTellDeps,
  input: { scope: TenantScope; studyId: string; params: unknown; actor: TActor },
): Promise<TEnqueuedTrial> {
  return withTransaction(deps.db, async (tx) => {
    const study = await lockStudy(tx, input.scope, input.studyId);
    if (!study) throw new SchedulerError("NOT_FOUND", "Study not found.");
    if (study.state !== "running") {
      throw new SchedulerError("STUDY_NOT_RUNNING", `The study is ${study.state}; only a running study takes enqueued trials.`);
    }
    const spec = studySpecOf(study.spec);
    const params = checkEnqueuedParams(spec.space, input.params);
    const { total } = await countInFlightByStudyId(tx, study.id);
    if (total >= spec.budget.max_trials) {
      throw new SchedulerError(
        "STUDY_BUDGET_EXHAUSTED",
        `The study has used its budget of ${spec.budget.max_trials} trials (budget.max_trials); nothing was enqueued.`,
      );
    }
    const trial = await askLifecycle(deps, tx).insertTrial(study.id, { params, proposedBy: ENQUEUED });
    // The study row is locked and was checked just now: only a broken invariant gets here.
    if (!trial) throw new SchedulerError("CONFLICT", "The study changed while the trial was enqueued; nothing was stored.");
    await writeAudit(tx, {
      orgId: study.orgId,
      actor: input.actor,
      action: "trial.enqueue",
      targetType: "trial",
      targetId: trial.trialId,
      details: { studyId: study.id, number: trial.number },
    });
    return {
      trialId: trial.trialId,
      number: trial.number,
      params,
      events: [
        { type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: trial.trialId },
        { type: "study:updated", orgId: study.orgId, studyId: study.id },
      ],
    };
  });
}

function checkEnqueuedParams(space: Parameters<typeof paramsChecker>[0], params: unknown): TParams {
  try {
    return paramsChecker(space)(params, "params");
  } catch (err) {
    if (err instanceof OptimizerError) throw new SchedulerError("INVALID_PARAMS", err.message);
    throw err;
  }
}

import { randomUUID } from "node:crypto";
import type { THistoryTrial } from "@autoglm/optimizer";
import {
  countInFlightByStudyId,
  leaseEnqueuedTrialById,
  lockStudy,
  type DbOrTx,
  type TenantScope,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import { objectivesOf, studySpecOf, type TStudySpec } from "@autoglm/protocol";
import { historyTrialsOf } from "./ask-optimizer.js";
import { optimizerConfigOf } from "./optimizer-config.js";
import { OneAtATime } from "./one-at-a-time.js";
import { sharedOptimizerPool } from "./optimizer-pool.js";
import { answerCall, historyWork, type TAskAnswer, type TCallOf } from "./optimizer-task.js";
import { studyHistories } from "./study-history.js";
import { loadWarmStart } from "./warm-start.js";
import { askLifecycle, nowOf, SchedulerError, type TActor, type TAskTellDeps } from "./ask-types.js";
import type { TLiveEvent } from "@autoglm/protocol";

export interface TAskedTrialResult {
  trialId: string;
  number: number;
  params: Record<string, unknown>;
  leaseExpiresAt: Date;
  leaseToken: string;
  events: TLiveEvent[];
}

export function askLeaseMs(deps: TAskTellDeps, spec: TStudySpec): number {
  return deps.config?.askLeaseMs ?? Math.round(spec.budget.lease_minutes * 60_000);
}

/**
 * How many times an ask recomputes its parameters when the study took a trial number
 * meanwhile (another server's ask, or the scheduler topping up): asks of one study in one
 * process already wait for each other, so a second round is rare and a sixth means the
 * study is being asked faster than its sampler answers.
 */
const ASK_ROUNDS = 5;

const asks = new OneAtATime();

type TInput = { scope: TenantScope; studyId: string; actor: TActor };
/** What the first transaction ends with: the trial (a cheap ask), or the sampler's work to do. */
type TAskPlan = { asked: TAskedTrialResult } | { call: TCallOf<"ask">; trials: THistoryTrial[] };

/**
 * Hands out the study's next trial to a program that evaluates it itself (ask/tell).
 * Numbers are unique and max_parallel / max_trials are never overshot: the trial is inserted
 * in a transaction holding the study row FOR UPDATE, which re-checks the budget and takes the
 * number. The sampler's work is not done under that lock: PGlite runs every query through one
 * connection, so a transaction open for a 2 s GP fit would stall every tenant's queries. The
 * parameters are computed (in a worker, optimizer-pool.ts) from the history read under the
 * lock in a first short transaction, for the number the study had then; if that number is
 * gone by the insert, another trial was added meanwhile and the parameters are recomputed
 * with it pending (constant liar), so concurrent asks still get distinct points. Cheap asks
 * (a random sampler on a small history) are computed inside the first transaction, as before.
 * A waiting enqueued trial (`trial enqueue`) is handed out before the sampler is asked; a
 * warm-started study's sampler also sees its source's trials (warm-start.ts).
 */
export function askTrial(deps: TAskTellDeps, input: TInput): Promise<TAskedTrialResult> {
  // Asks of one study in this process wait for each other instead of recomputing: 16 parallel
  // asks would otherwise cost up to 16 + 15 + ... sampler runs.
  return asks.run(input.studyId, () => askTrialNow(deps, input));
}

async function askTrialNow(deps: TAskTellDeps, input: TInput): Promise<TAskedTrialResult> {
  const pool = deps.optimizerPool ?? sharedOptimizerPool();
  const histories = deps.histories ?? studyHistories;
  const budgetMs = deps.config?.optimizerTimeoutMs ?? pool.timeoutMs;
  const deadline = performance.now() + budgetMs;
  for (let round = 1; ; round++) {
    const plan = await withTransaction(deps.db, async (tx): Promise<TAskPlan> => {
      const enqueued = await leaseEnqueuedTrial(deps, tx, input);
      if (enqueued) return { asked: enqueued };
      const { study, spec } = await lockAskableStudy(tx, input);
      const warm = await loadWarmStart(tx, study.id, spec);
      const trials = [
        ...historyTrialsOf(await histories.load(tx, study.id), undefined, { objectives: objectivesOf(spec).length }),
        ...(warm?.trials ?? []),
      ];
      const call = { kind: "ask" as const, config: optimizerConfigOf(spec), id: study.nextTrialNumber };
      if (pool.runsInline(call, historyWork(trials))) {
        return { asked: await insertAskedTrial(deps, tx, input, study, spec, answerCall(call, trials)) };
      }
      return { call, trials };
    });
    if ("asked" in plan) return plan.asked;
    const answer = await pool.run(plan.call, plan.trials, { timeoutMs: Math.max(1, deadline - performance.now()), budgetMs });
    const asked = await withTransaction(deps.db, async (tx) => {
      const { study, spec } = await lockAskableStudy(tx, input);
      if (study.nextTrialNumber !== plan.call.id) return null;
      return insertAskedTrial(deps, tx, input, study, spec, answer);
    });
    if (asked) return asked;
    if (round >= ASK_ROUNDS) {
      throw new SchedulerError(
        "CONFLICT",
        `The study took ${ASK_ROUNDS} new trials while this ask's parameters were computed (other clients or the scheduler are asking too); nothing was stored. Ask again.`,
      );
    }
  }
}

type TLockedStudy = NonNullable<Awaited<ReturnType<typeof lockStudy>>>;

/** The study row, locked, if it is running; the refusal users see otherwise. */
async function lockRunningStudy(tx: DbOrTx, input: TInput): Promise<TLockedStudy> {
  const study = await lockStudy(tx, input.scope, input.studyId);
  if (!study) throw new SchedulerError("NOT_FOUND", "Study not found.");
  if (study.state !== "running") {
    throw new SchedulerError("STUDY_NOT_RUNNING", `The study is ${study.state}; only a running study hands out trials.`);
  }
  return study;
}

/**
 * The study's oldest waiting enqueued trial (`trial enqueue`), leased to the asking program,
 * or null. It is handed out before the budget checks: its number and its place in flight were
 * taken when it was enqueued.
 */
async function leaseEnqueuedTrial(deps: TAskTellDeps, tx: DbOrTx, input: TInput): Promise<TAskedTrialResult | null> {
  const study = await lockRunningStudy(tx, input);
  const now = nowOf(deps);
  const leaseToken = randomUUID();
  const leaseExpiresAt = new Date(now.getTime() + askLeaseMs(deps, studySpecOf(study.spec)));
  const trial = await leaseEnqueuedTrialById(tx, study.id, { token: leaseToken, expiresAt: leaseExpiresAt, startedAt: now });
  if (!trial) return null;
  await writeAudit(tx, {
    orgId: study.orgId,
    actor: input.actor,
    action: "trial.ask",
    targetType: "trial",
    targetId: trial.trialId,
    details: { studyId: study.id, number: trial.number, enqueued: true },
  });
  return {
    ...trial,
    leaseExpiresAt,
    leaseToken,
    events: [
      { type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: trial.trialId },
      { type: "study:updated", orgId: study.orgId, studyId: study.id },
    ],
  };
}

/** The study row, locked, if it may hand out a new trial now; the refusal users see otherwise. */
async function lockAskableStudy(tx: DbOrTx, input: TInput): Promise<{ study: TLockedStudy; spec: TStudySpec }> {
  const study = await lockRunningStudy(tx, input);
  const spec = studySpecOf(study.spec);
  const { inFlight, total } = await countInFlightByStudyId(tx, study.id);
  if (total >= spec.budget.max_trials) {
    throw new SchedulerError(
      "STUDY_BUDGET_EXHAUSTED",
      `The study has used its budget of ${spec.budget.max_trials} trials (budget.max_trials).`,
    );
  }
  if (inFlight >= spec.budget.max_parallel) {
    throw new SchedulerError(
      "MAX_PARALLEL_REACHED",
      `The study already has ${inFlight} trials in flight (budget.max_parallel is ${spec.budget.max_parallel}); tell one before asking for another.`,
    );
  }
  return { study, spec };
}

/**
 * Inserts trial number `study.nextTrialNumber` with `params`, leased to the asking program
 * (the caller holds the study's lock), through the lifecycle's one trial insert.
 */
async function insertAskedTrial(
  deps: TAskTellDeps,
  tx: DbOrTx,
  input: TInput,
  study: TLockedStudy,
  spec: TStudySpec,
  { params, proposedBy }: TAskAnswer,
): Promise<TAskedTrialResult> {
  const now = nowOf(deps);
  const number = study.nextTrialNumber;
  const leaseToken = randomUUID();
  const leaseExpiresAt = new Date(now.getTime() + askLeaseMs(deps, spec));
  const trial = await askLifecycle(deps, tx).insertTrial(study.id, {
    params: params as Record<string, unknown>,
    expectNumber: number,
    askLease: { token: leaseToken, expiresAt: leaseExpiresAt, startedAt: now },
    proposedBy,
  });
  // The study row is locked and was checked just now: only a broken invariant gets here.
  if (!trial)
    throw new SchedulerError(
      "CONFLICT",
      "The study changed while this trial was being handed out; nothing was stored. Ask again.",
    );
  await writeAudit(tx, {
    orgId: study.orgId,
    actor: input.actor,
    action: "trial.ask",
    targetType: "trial",
    targetId: trial.trialId,
    details: { studyId: study.id, number },
  });
  return {
    trialId: trial.trialId,
    number,
    params: params as Record<string, unknown>,
    leaseExpiresAt,
    leaseToken,
    events: [
      { type: "trial:updated", orgId: study.orgId, studyId: study.id, trialId: trial.trialId },
      { type: "study:updated", orgId: study.orgId, studyId: study.id },
    ],
  };
}

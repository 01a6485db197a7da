// The ask → evaluate → report → tell loop of `client.optimize` (Optuna's `study.optimize`).
import type { StudyCalls, TrialCalls } from "./client-calls.js";
import { AutoglmError } from "./errors.js";
import type { AskedTrial, StudyBest, TrialState } from "./router-types.js";

/** Thrown inside an `optimize` objective to end the trial as pruned (Optuna's `TrialPruned`). */
export class TrialPruned extends Error {
  override readonly name = "TrialPruned";
  constructor(message = "pruned") {
    super(message);
  }
}

export interface OptimizeTrial {
  id: string;
  number: number;
  params: AskedTrial["params"];
  /**
   * Sends an intermediate value; resolves to `true` when the pruner says stop. Renews the
   * trial's lease, so a long objective should report at least every few minutes.
   */
  report(step: number, value: number): Promise<boolean>;
  /** Whether the last report asked to prune. */
  readonly shouldPrune: boolean;
  /** The pruner's reason when the last report asked to prune (in the metric's units). */
  readonly pruneReason: string | undefined;
}

export interface OptimizeOptions {
  /** How many trials this loop runs (it stops earlier when the study ends). */
  nTrials: number;
  /** Called after each intermediate report, e.g. for progress output. */
  onReport?: (event: { trialId: string; number: number; step: number; value: number; prune: boolean; reason?: string }) => void;
  /** Called after each trial ends. */
  onTrialEnd?: (result: OptimizeTrialResult) => void;
  /**
   * `true`: a throwing objective marks its trial failed and the loop goes on (Optuna's
   * `catch=(Exception,)`). `false` (default): the trial is marked failed, then the error
   * is rethrown.
   */
  catchErrors?: boolean;
  /** Stops the loop before the next ask. */
  signal?: AbortSignal;
  /**
   * How long to wait for a free slot when other workers hold `budget.max_parallel` trials
   * (default 10 min, the default ask-lease: by then a vanished worker's trial has expired).
   */
  maxWaitMs?: number;
}

export interface OptimizeTrialResult {
  trialId: string;
  number: number;
  params: AskedTrial["params"];
  state: TrialState;
  /** The first objective's value (the only one, for a single-objective study). */
  value: number | null;
  /** Every objective's value, when the objective returned several. */
  values?: number[];
  reason?: string;
}

export interface OptimizeResult {
  trials: OptimizeTrialResult[];
  best: StudyBest;
  /** Why the loop ended: it ran nTrials, the study stopped taking asks, or the signal fired. */
  endedBecause: "nTrials" | "studyEnded" | "aborted";
}

/** Returns the objective's value, or one value per objective (spec order) for a multi-objective study. */
export type Objective = (trial: OptimizeTrial) => number | number[] | Promise<number | number[]>;

/** The study hands out no more trials: stopped, completed, or `budget.max_trials` is spent. */
export function isStudyEnded(err: AutoglmError): boolean {
  return err.code === "STUDY_NOT_RUNNING" || err.code === "STUDY_BUDGET_EXHAUSTED";
}

type TEnded = Exclude<OptimizeResult["endedBecause"], "nTrials">;

/**
 * The ask → evaluate → report → tell loop. The objective gets the trial's params and a
 * `report` function; it returns the objective value, or throws `TrialPruned`.
 */
export async function runOptimize(
  api: { trials: TrialCalls; studies: StudyCalls },
  studyId: string,
  objective: Objective,
  opts: OptimizeOptions,
): Promise<OptimizeResult> {
  if (!Number.isInteger(opts.nTrials) || opts.nTrials < 1) {
    throw new AutoglmError("USAGE", "optimize needs nTrials ≥ 1");
  }
  const results: OptimizeTrialResult[] = [];
  let endedBecause: OptimizeResult["endedBecause"] = "nTrials";
  for (let i = 0; i < opts.nTrials; i++) {
    const asked = await askNext(api.trials, studyId, opts);
    if (typeof asked === "string") {
      endedBecause = asked;
      break;
    }
    const { result, studyEnded } = await evaluate(api.trials, asked, objective, opts);
    results.push(result);
    opts.onTrialEnd?.(result);
    if (studyEnded) {
      endedBecause = "studyEnded";
      break;
    }
  }
  return { trials: results, best: await api.studies.best(studyId), endedBecause };
}

/** The next trial, or why the loop ends before it. */
async function askNext(trials: TrialCalls, studyId: string, opts: OptimizeOptions): Promise<AskedTrial | TEnded> {
  if (opts.signal?.aborted) return "aborted";
  try {
    return await trials.askWhenFree(studyId, {
      ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof AutoglmError && isStudyEnded(err)) return "studyEnded";
    if (opts.signal?.aborted) return "aborted";
    throw err;
  }
}

/** What the objective sees of its trial; `report` remembers the pruner's last answer. */
function trialHandle(trials: TrialCalls, asked: AskedTrial, opts: OptimizeOptions): OptimizeTrial {
  let shouldPrune = false;
  let pruneReason: string | undefined;
  return {
    id: asked.trialId,
    number: asked.number,
    params: asked.params,
    get shouldPrune() {
      return shouldPrune;
    },
    get pruneReason() {
      return pruneReason;
    },
    async report(step, value) {
      const { prune, reason } = await trials.report(asked.trialId, step, value);
      shouldPrune = prune;
      pruneReason = reason;
      opts.onReport?.({
        trialId: asked.trialId,
        number: asked.number,
        step,
        value,
        prune,
        ...(reason === undefined ? {} : { reason }),
      });
      return prune;
    },
  };
}

/**
 * Runs the objective on one trial and tells the platform how it ended. Rethrows the
 * objective's error (after marking the trial failed and calling onTrialEnd) unless catchErrors.
 */
async function evaluate(
  trials: TrialCalls,
  asked: AskedTrial,
  objective: Objective,
  opts: OptimizeOptions,
): Promise<{ result: OptimizeTrialResult; studyEnded: boolean }> {
  const trial = trialHandle(trials, asked, opts);
  const base = { trialId: asked.trialId, number: asked.number, params: asked.params };
  try {
    const value = await objective(trial);
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || !values.every((v) => typeof v === "number" && Number.isFinite(v))) {
      const reason = `objective returned ${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}, not ${Array.isArray(value) ? "finite numbers" : "a finite number"}`;
      await trials.fail(asked.trialId, reason);
      return { result: { ...base, state: "failed", value: null, reason }, studyEnded: false };
    }
    await trials.tell(asked.trialId, value);
    return {
      result: { ...base, state: "complete", value: values[0]!, ...(Array.isArray(value) ? { values } : {}) },
      studyEnded: false,
    };
  } catch (err) {
    if (err instanceof TrialPruned) {
      // The pruner's why when it asked; else the objective's own message, if it gave one.
      const reason =
        trial.shouldPrune && trial.pruneReason ? trial.pruneReason : err.message !== "pruned" ? err.message : undefined;
      await trials.prune(asked.trialId, reason);
      return {
        result: { ...base, state: "pruned", value: null, ...(reason === undefined ? {} : { reason }) },
        studyEnded: false,
      };
    }
    if (err instanceof AutoglmError && (isStudyEnded(err) || err.code === "TRIAL_NOT_RUNNING")) {
      // The platform refused a report or tell because the trial is already over on its
      // side (the study was stopped, or the lease expired and the sweeper failed it):
      // telling it again would only fail. Record it and move on.
      return { result: { ...base, state: "failed", value: null, reason: err.message }, studyEnded: isStudyEnded(err) };
    }
    const reason = `objective threw: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
    // Best effort: if the server cannot be reached now, the ask-lease expires and the
    // sweeper fails the trial (LEASE_EXPIRED) instead; the original error matters more.
    await trials.fail(asked.trialId, reason).catch(() => undefined);
    const result: OptimizeTrialResult = { ...base, state: "failed", value: null, reason };
    if (!opts.catchErrors) {
      opts.onTrialEnd?.(result);
      throw err;
    }
    return { result, studyEnded: false };
  }
}

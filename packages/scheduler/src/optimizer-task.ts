import {
  createOptimizer,
  hypervolumeHistory,
  OptimizerError,
  paretoFront,
  referencePoint,
  type THistoryTrial,
  type Optimizer,
  type TOptimizerConfig,
  type TOptimizerErrorCode,
  type TParams,
  type TReportResult,
  type TImprovementPoint,
  type THandover,
  type TPortfolioPoint,
  type TImportanceOptions,
  type TTrialState,
  type TValue,
} from "@autoglm/optimizer";

/**
 * The optimizer work a server runs off its event loop (optimizer-pool.ts), as plain data
 * that crosses to a worker thread: the study's optimizer config, its trials, and the one
 * call to make. This module imports nothing but @autoglm/optimizer, so a worker loads it in
 * ~30 ms; the worker and an inline caller run the same function on the same trials, so both
 * give the same answer.
 */

/**
 * A study's trials with their curves packed into typed arrays. Structured clone copies a
 * curve of [step, value] pairs element by element: 300 trials of 100 values took 6-10 ms to
 * post and 1,000 of 100 took 60 ms, on the event loop. Packed, the curves are transferred
 * (no copy) and the same posts take 1-2 ms and 6 ms.
 */
export interface TPackedHistory {
  ids: number[];
  states: TTrialState[];
  values: Array<TValue | null>;
  params: TParams[];
  /** Per-constraint violations (the samplers read them), null for a trial without. */
  constraints: Array<number[] | null>;
  /** Which sampler proposed each trial (auto's portfolio reads it), null when unknown. */
  proposedBy: Array<string | null>;
  /** Trial i's curve is [offsets[i], offsets[i + 1]) of steps and points. */
  offsets: Uint32Array;
  steps: Float64Array;
  points: Float64Array;
}

export function packHistory(trials: readonly THistoryTrial[]): TPackedHistory {
  const offsets = new Uint32Array(trials.length + 1);
  let total = 0;
  trials.forEach((t, i) => {
    offsets[i] = total;
    total += t.intermediate?.length ?? 0;
  });
  offsets[trials.length] = total;
  const steps = new Float64Array(total);
  const points = new Float64Array(total);
  let o = 0;
  for (const t of trials) {
    for (const [s, v] of t.intermediate ?? []) {
      steps[o] = s;
      points[o++] = v;
    }
  }
  return {
    ids: trials.map((t) => t.id),
    states: trials.map((t) => t.state),
    values: trials.map((t) => t.value ?? null),
    params: trials.map((t) => t.params),
    constraints: trials.map((t) => t.constraints ?? null),
    proposedBy: trials.map((t) => t.proposedBy ?? null),
    offsets,
    steps,
    points,
  };
}

export function unpackHistory(h: TPackedHistory): THistoryTrial[] {
  return h.ids.map((id, i) => {
    const intermediate: Array<[number, number]> = [];
    for (let k = h.offsets[i]!; k < h.offsets[i + 1]!; k++) intermediate.push([h.steps[k]!, h.points[k]!]);
    const constraints = h.constraints[i];
    const proposedBy = h.proposedBy[i];
    return {
      id,
      params: h.params[i]!,
      state: h.states[i]!,
      value: h.values[i]!,
      intermediate,
      ...(constraints ? { constraints } : {}),
      ...(proposedBy ? { proposedBy } : {}),
    };
  });
}

/** `a`'s trials then `b`'s, in new arrays (neither is changed). */
export function concatHistories(a: TPackedHistory, b: TPackedHistory): TPackedHistory {
  const n = a.ids.length;
  const base = a.steps.length;
  const offsets = new Uint32Array(n + b.ids.length + 1);
  offsets.set(a.offsets.subarray(0, n));
  for (let i = 0; i <= b.ids.length; i++) offsets[n + i] = base + b.offsets[i]!;
  const steps = new Float64Array(base + b.steps.length);
  steps.set(a.steps);
  steps.set(b.steps, base);
  const points = new Float64Array(base + b.points.length);
  points.set(a.points);
  points.set(b.points, base);
  return {
    ids: [...a.ids, ...b.ids],
    states: [...a.states, ...b.states],
    values: [...a.values, ...b.values],
    params: [...a.params, ...b.params],
    constraints: [...a.constraints, ...b.constraints],
    proposedBy: [...a.proposedBy, ...b.proposedBy],
    offsets,
    steps,
    points,
  };
}

/** The buffers a post may move instead of copying (the history is not used after it). */
export function transferablesOf(h: TPackedHistory): ArrayBuffer[] {
  return [h.offsets.buffer, h.steps.buffer, h.points.buffer] as ArrayBuffer[];
}

/**
 * What rebuilding an optimizer from these trials costs, in values handled (a trial, each of its
 * params, each curve point): the inline/worker decision's measure. 30,000 (300 trials of 100
 * points) rebuilt in 2.3 ms on the 2-core dev box; 100,000 in 20-33 ms.
 */
export function historyWork(trials: readonly THistoryTrial[] | TPackedHistory): number {
  let n = 0;
  if (!Array.isArray(trials)) {
    const h = trials as TPackedHistory;
    for (const p of h.params) n += 1 + Object.keys(p).length;
    return n + h.steps.length;
  }
  for (const t of trials as readonly THistoryTrial[]) n += 1 + Object.keys(t.params).length + (t.intermediate?.length ?? 0);
  return n;
}

export type TOptimizerCall =
  /** Parameters for a new trial `id` (the study's next number), pending trials included. */
  | { kind: "ask"; config: TOptimizerConfig; id: number }
  /** The pruner's decision on running trial `id`'s report of `value` at `step`. */
  | { kind: "report"; config: TOptimizerConfig; id: number; step: number; value: number }
  /**
   * Importance (fANOVA, or PED-ANOVA by `method`; of `objective`) on complete trials; trials
   * whose params no longer fit the space are left out, and fewer than `minTrials` usable ones give null.
   */
  | ({ kind: "importance"; config: TOptimizerConfig; minTrials: number } & TImportanceOptions)
  /** The improvement-left estimate as the study went on, or (`lastOnly`) for all complete trials only. */
  | { kind: "improvement"; config: TOptimizerConfig; lastOnly: boolean }
  /** `auto`'s portfolio weights as the study went on (empty for other samplers). */
  | { kind: "portfolio"; config: TOptimizerConfig }
  /** The trial a GP with a noise term predicts best (null for several objectives or under 10 complete trials). */
  | { kind: "bestPredicted"; config: TOptimizerConfig }
  /**
   * The Pareto set of the given trials (complete and feasible, values in each objective's own
   * units) and, with `historyPoints` > 0, the hypervolume as they came, thinned to that many
   * points, against `reference` (default: referencePoint's nadir + 10%).
   */
  | { kind: "pareto"; config: TOptimizerConfig; reference: number[] | null; historyPoints: number };

export type TOptimizerKind = TOptimizerCall["kind"];
export type TCallOf<K extends TOptimizerKind> = Extract<TOptimizerCall, { kind: K }>;
/** A call with the trials it runs on, as posted to a worker. */
export type TOptimizerTask = TOptimizerCall & { history: TPackedHistory };

export type TImportanceAnswer = { shares: Record<string, number> | null; used: number };

export interface TParetoAnswer {
  /** The Pareto set's trial ids, ascending. */
  front: number[];
  /** The reference point in each objective's units; null without trials. */
  reference: number[] | null;
  /** The hypervolume after the trial `id` (and those before it). */
  history: Array<{ id: number; hypervolume: number }>;
}

/** An ask's answer: the params and which sampler proposed them (`trials.proposed_by`). */
export interface TAskAnswer {
  params: TParams;
  proposedBy: string;
}

export interface TOptimizerAnswers {
  ask: TAskAnswer;
  report: TReportResult;
  importance: TImportanceAnswer;
  improvement: TImprovementPoint[];
  portfolio: { points: TPortfolioPoint[]; handover: THandover | null };
  bestPredicted: ReturnType<Optimizer["bestPredicted"]>;
  pareto: TParetoAnswer;
}

/** An error as it crosses back from a worker: the optimizer's own errors keep their code. */
export type TTaskOutcome<T> =
  { ok: true; value: T } | { ok: false; error: { message: string; optimizerCode?: TOptimizerErrorCode } };

/** Rebuilds the study's optimizer from `trials` and makes the call: the one code path of inline and worker runs. */
export function answerCall<K extends TOptimizerKind>(call: TCallOf<K>, trials: readonly THistoryTrial[]): TOptimizerAnswers[K];
export function answerCall(call: TOptimizerCall, trials: readonly THistoryTrial[]): TOptimizerAnswers[TOptimizerKind] {
  if (call.kind === "pareto") return answerPareto(call, trials);
  const opt = createOptimizer(call.config);
  switch (call.kind) {
    case "ask": {
      for (const t of trials) opt.addTrial(t);
      const { params, proposedBy } = opt.ask({ id: call.id });
      return { params, proposedBy };
    }
    case "report":
      for (const t of trials) opt.addTrial(t);
      return opt.report(call.id, call.step, call.value);
    case "importance": {
      let used = 0;
      for (const t of trials) if (addIfFits(opt, t)) used++;
      const options = { objective: call.objective, method: call.method };
      return { shares: used < call.minTrials ? null : opt.importance(options), used };
    }
    case "improvement": {
      for (const t of trials) addIfFits(opt, t);
      return call.lastOnly ? opt.improvementNow() : opt.improvement();
    }
    case "portfolio":
      for (const t of trials) addIfFits(opt, t);
      return { points: opt.portfolio(), handover: opt.handover() };
    case "bestPredicted":
      for (const t of trials) addIfFits(opt, t);
      return opt.bestPredicted();
  }
}

/** Minimize-oriented points in, the Pareto set and hypervolume history out (in the objectives' units). */
function answerPareto(call: TCallOf<"pareto">, trials: readonly THistoryTrial[]): TParetoAnswer {
  const d = call.config.direction;
  const signs = (Array.isArray(d) ? d : [d ?? "minimize"]).map((x) => (x === "maximize" ? -1 : 1));
  const used = trials.filter((t) => Array.isArray(t.value) && t.value.length === signs.length);
  const points = used.map((t) => (t.value as number[]).map((v, k) => v * signs[k]!));
  if (points.length === 0) return { front: [], reference: call.reference, history: [] };
  const reference = call.reference ? call.reference.map((v, k) => v * signs[k]!) : referencePoint(points);
  const history =
    call.historyPoints > 0
      ? hypervolumeHistory(points, reference, call.historyPoints).map((h) => ({
          id: used[h.index]!.id,
          hypervolume: h.hypervolume,
        }))
      : [];
  return { front: paretoFront(points).map((i) => used[i]!.id), reference: reference.map((v, k) => v * signs[k]!), history };
}

function addIfFits(opt: ReturnType<typeof createOptimizer>, t: THistoryTrial): boolean {
  try {
    opt.addTrial(t);
    return true;
  } catch {
    // Params that no longer fit the space (cannot happen through the API): left out.
    return false;
  }
}

/** What a worker returns for a task: answerCall's answer, or its error as data. */
export function runOptimizerTask(task: TOptimizerTask): TTaskOutcome<unknown> {
  try {
    const { history, ...call } = task;
    return { ok: true, value: answerCall(call as TOptimizerCall, unpackHistory(history)) };
  } catch (err) {
    if (err instanceof OptimizerError) return { ok: false, error: { message: err.message, optimizerCode: err.code } };
    return { ok: false, error: { message: err instanceof Error ? err.message : String(err) } };
  }
}

/** The error a worker returned, as the caller would have seen it inline. */
export function errorOfOutcome(e: { message: string; optimizerCode?: TOptimizerErrorCode }): Error {
  return e.optimizerCode ? new OptimizerError(e.optimizerCode, e.message) : new Error(`optimizer worker: ${e.message}`);
}

import { createOptimizer, type Optimizer, type THistoryTrial, type TParams, type TReportResult } from "@autoglm/optimizer";
import { objectivesOf, type TStudySpec } from "@autoglm/protocol";
import { optimizerConfigOf, prunedObjectiveIndex } from "./optimizer-config.js";

/** The reason stored and returned for a pruner's stop, prefixed with the pruner's name; null to go on. */
export function pruneReason(prunerName: string, r: TReportResult): string | null {
  return r.prune ? `${prunerName}: ${r.reason ?? "the pruner stopped it"}` : null;
}

export interface THistoryRow {
  trial: {
    number: number;
    state: "waiting" | "running" | "complete" | "pruned" | "failed";
    params: unknown;
    value: number | null;
    /** Per objective (jsonb); only multi-objective studies read it. */
    values?: unknown;
    /** Per constraint violation (jsonb); null without constraints. */
    constraintValues?: unknown;
    /** `trials.proposed_by`: which sampler proposed the params (auto's portfolio learns from it). */
    proposedBy?: string | null;
  };
  intermediate: Array<[number, number]>;
}

/**
 * How a multi-objective history is read: every objective (the sampler's view), or only
 * objective `pick` as a single-objective study (the pruner's view of `pruner.objective`).
 */
export type THistoryShape = { objectives: number; pick?: number };

/**
 * The optimizer's view of a stored history: trial ids are trial numbers; waiting trials count
 * as running so parallel suggestions differ (constant liar). With several objectives a trial's
 * value is its `values` list (a complete trial without one counts as failed) and curves stay
 * out: the optimizer takes intermediate values only from single-objective studies.
 */
export function historyTrialsOf(
  history: THistoryRow[],
  skipNumber?: number,
  shape: THistoryShape = { objectives: 1 },
): THistoryTrial[] {
  const out: THistoryTrial[] = [];
  const single = shape.objectives < 2 || shape.pick !== undefined;
  for (const h of history) {
    if (h.trial.number === skipNumber) continue;
    let state = h.trial.state === "waiting" ? "running" : h.trial.state;
    const value = valueOf(h.trial, shape);
    if (state === "complete" && value === null) state = "failed";
    const constraints = state === "complete" ? numberList(h.trial.constraintValues) : null;
    out.push({
      id: h.trial.number,
      params: h.trial.params as TParams,
      state,
      value: state === "complete" || state === "pruned" ? value : null,
      intermediate: single ? h.intermediate : [],
      ...(constraints ? { constraints } : {}),
      ...(h.trial.proposedBy ? { proposedBy: h.trial.proposedBy } : {}),
    });
  }
  return out;
}

/** The history as the pruner reads it (pruningConfigOf): `pruner.objective` alone when there are several. */
export function historyShapeForPruning(spec: TStudySpec): THistoryShape {
  const objectives = objectivesOf(spec).length;
  return objectives < 2 ? { objectives } : { objectives, pick: prunedObjectiveIndex(spec) ?? 0 };
}

function valueOf(t: THistoryRow["trial"], shape: THistoryShape): number | number[] | null {
  if (shape.objectives < 2) return t.value;
  const values = numberList(t.values, shape.objectives);
  // A pruned multi-objective trial has no values; its pruned objective's last report is `value`.
  if (shape.pick !== undefined) return values ? values[shape.pick]! : t.state === "pruned" ? t.value : null;
  return values;
}

/** A stored jsonb list of finite numbers (of `length` when given), else null. */
export function numberList(v: unknown, length?: number): number[] | null {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length)) return null;
  return v.every((x) => typeof x === "number" && Number.isFinite(x)) ? (v as number[]) : null;
}

/**
 * Rebuilds the study's optimizer from Postgres (the truth) on every ask and pruner decision:
 * a few ms for hundreds of trials, and nothing to invalidate across replicas (the curves'
 * cache, study-history.ts, checks every trial's row in the same read). A worker thread
 * rebuilds the same optimizer from the same trials (optimizer-task.ts), so both answer alike.
 */
export function rebuildOptimizer(spec: TStudySpec, history: THistoryRow[], skipNumber?: number): Optimizer {
  const opt = createOptimizer(optimizerConfigOf(spec));
  for (const t of historyTrialsOf(history, skipNumber, { objectives: objectivesOf(spec).length })) opt.addTrial(t);
  return opt;
}

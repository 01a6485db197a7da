import { createOptimizer, type Optimizer, type THistoryTrial, type TParams, type TReportResult } from "@autoglm/optimizer";
import type { TStudySpec } from "@autoglm/protocol";
import { optimizerConfigOf } from "./optimizer-config.js";

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
  };
  intermediate: Array<[number, number]>;
}

/**
 * The optimizer's view of a stored history: trial ids are trial numbers; waiting trials count
 * as running so parallel suggestions differ (constant liar).
 */
export function historyTrialsOf(history: THistoryRow[], skipNumber?: number): THistoryTrial[] {
  const out: THistoryTrial[] = [];
  for (const h of history) {
    if (h.trial.number === skipNumber) continue;
    const state = h.trial.state === "waiting" ? "running" : h.trial.state;
    out.push({
      id: h.trial.number,
      params: h.trial.params as TParams,
      state,
      value: state === "complete" ? h.trial.value : state === "pruned" ? h.trial.value : null,
      intermediate: h.intermediate,
    });
  }
  return out;
}

/**
 * Rebuilds the study's optimizer from Postgres (the truth) on every ask and pruner decision:
 * a few ms for hundreds of trials, and nothing to invalidate across replicas (the curves'
 * cache, study-history.ts, checks every trial's row in the same read). A worker thread
 * rebuilds the same optimizer from the same trials (optimizer-task.ts), so both answer alike.
 */
export function rebuildOptimizer(spec: TStudySpec, history: THistoryRow[], skipNumber?: number): Optimizer {
  const opt = createOptimizer(optimizerConfigOf(spec));
  for (const t of historyTrialsOf(history, skipNumber)) opt.addTrial(t);
  return opt;
}

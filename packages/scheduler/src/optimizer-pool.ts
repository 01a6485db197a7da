import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import { prunerFitsModel, type THistoryTrial } from "@autoglm/optimizer";
import { SchedulerError } from "./scheduler-error.js";
import { loadedSamplerPlugins } from "./sampler-plugins.js";
import {
  answerCall,
  errorOfOutcome,
  historyWork,
  packHistory,
  transferablesOf,
  unpackHistory,
  type TCallOf,
  type TOptimizerAnswers,
  type TOptimizerCall,
  type TOptimizerKind,
  type TOptimizerTask,
  type TPackedHistory,
  type TTaskOutcome,
} from "./optimizer-task.js";

/** The default budget of one optimizer call, queueing included. */
export const OPTIMIZER_TIMEOUT_MS = 30_000;

/**
 * Up to this much work (historyWork: trials, params and curve points) a model-free call runs on
 * the calling thread. Rebuilding and deciding (median) held the event loop 2 ms at 31,000
 * values, 6 ms at 51,000 and 13 ms at 103,000 on the 2-core dev box; posting the same history
 * costs 1-7 ms of it too, and the worker's answer comes 10-20 ms later (a second transaction,
 * the rebuild there). Past ~100,000 an inline call would hold the loop beyond a tenth of S12's
 * 100 ms, and grows with the study.
 */
export const INLINE_MAX_WORK = 100_000;
/** Trials whose 2-objective Pareto set is found on the calling thread (a sort and a sweep). */
export const PARETO_INLINE_MAX = 2_000;

export interface TOptimizerPoolOptions {
  /** Budget of one call in ms (queue wait included); past it the worker is terminated. Default 30 s. */
  timeoutMs?: number;
  /**
   * Worker threads at most. Default: one less than the cores, at least one, so the event loop
   * keeps a core to itself while samplers fit.
   */
  maxThreads?: number;
  /** An idle worker exits after this long (ms); the next call starts one (~30 ms). Default 60 s. */
  idleTimeoutMs?: number;
  /**
   * "auto": cheap calls inline (runsInline), the rest in a worker; "worker": every call in a
   * worker; "inline": every call on the calling thread (benchmarks' baseline, and the
   * equality tests' reference).
   */
  route?: "auto" | "worker" | "inline";
}

/**
 * The worker's file: beside this module in dist; from the sources (vitest runs src/*.ts) the
 * built one, as workers load plain JavaScript.
 */
export function optimizerWorkerPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sibling = path.join(here, "optimizer-worker.js");
  return existsSync(sibling) ? sibling : path.resolve(here, "../dist/optimizer-worker.js");
}

const WHAT: Record<TOptimizerKind, string> = {
  ask: "propose the next trial's parameters",
  report: "decide whether to prune the trial",
  importance: "estimate parameter importance",
  improvement: "estimate the improvement left",
  portfolio: "replay its sampler portfolio's weights",
  bestPredicted: "predict the best trial",
  pareto: "compute the Pareto set and hypervolume",
};

const HINT: Record<TOptimizerKind, string> = {
  ask: "A cheaper sampler (tpe or random), fewer parameters or a smaller study avoids this; try again if the server is busy.",
  report: "The value was not stored; report it again. A pruner without a forecast (forecast: false) avoids this.",
  importance: "Try again later.",
  improvement: "Try again later.",
  portfolio: "Try again later.",
  bestPredicted: "Try again later.",
  pareto: "Try again later, or with fewer objectives.",
};

export function optimizerTimeoutError(kind: TOptimizerKind, budgetMs: number): SchedulerError {
  const seconds = budgetMs >= 1000 ? `${Math.round(budgetMs / 100) / 10} s` : `${budgetMs} ms`;
  return new SchedulerError(
    "OPTIMIZER_TIMEOUT",
    `The study's optimizer did not ${WHAT[kind]} within ${seconds} and was stopped; nothing was stored. ${HINT[kind]}`,
  );
}

/**
 * Runs optimizer calls (sampler asks, pruner decisions that fit a model, importance) on
 * worker threads, so a 2 s GP ask (200 params, 100 trials) no longer holds the event loop
 * of every tenant. Each call is stateless: the study's trials travel with it (packed,
 * optimizer-task.ts) and a worker rebuilds the optimizer, as the ask/tell path always did
 * on its own thread; any worker serves any study and a terminated one loses nothing.
 * The optimizer's cache of final-value model fits lives per worker: a decision that lands
 * on another worker than the last one refits once there.
 */
export class OptimizerPool {
  readonly timeoutMs: number;
  readonly route: "auto" | "worker" | "inline";
  private piscina: Piscina | null = null;

  constructor(private readonly options: TOptimizerPoolOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? OPTIMIZER_TIMEOUT_MS;
    this.route = options.route ?? "auto";
  }

  /**
   * Whether a call runs on the calling thread. Random asks cost microseconds per trial, and
   * model-free pruners (median, percentile, threshold, patience, halving without forecast)
   * decide in under a millisecond; either stays inline while rebuilding the optimizer does
   * (INLINE_MAX_WORK). Model-based asks (tpe, gp, cmaes, nsga2, auto, grid) and importance
   * always go to a worker, even small ones: a GP ask is 15-40 ms at 3-5 params and 30 trials
   * and 2 s at 200 params, and a TPE ask's cost is set by the user's options (n_ei_candidates,
   * multivariate), which an inline bound would have to model. The price for a small study is
   * latency, not event-loop time: a 3-param, 30-trial TPE ask through askTrial took p50 7.0 ms
   * inline and 10.9 ms through the pool on PostgreSQL (8.5 and 9.6 ms on PGlite), the second
   * transaction and the round trip (0.1-0.2 ms alone) included (tests/run-loop/bench/ask-pool.mjs).
   */
  runsInline(call: TOptimizerCall, work: number): boolean {
    if (this.route !== "auto") return this.route === "inline";
    if (work > INLINE_MAX_WORK) return false;
    if (call.kind === "ask") return call.config.sampler?.name === "random";
    if (call.kind === "report") return !prunerFitsModel(call.config.pruner ?? { name: "none" });
    // A front of 2 objectives alone is a sort and a sweep (2,000 trials: ~1 ms); with more
    // objectives a scan against the front so far (22 ms at 2,000 when all are on it), and a
    // hypervolume history is up to 300 hypervolumes (1.8 s in 3 objectives): a worker's.
    if (call.kind === "pareto") {
      const d = call.config.direction;
      return call.historyPoints === 0 && (!Array.isArray(d) || d.length === 2) && work <= PARETO_INLINE_MAX;
    }
    return false;
  }

  /**
   * The call's answer, from a worker unless runsInline; OPTIMIZER_TIMEOUT after `timeoutMs`
   * (default the pool's), its message naming `budgetMs` (the caller's whole budget, of which
   * this call may have the rest).
   */
  async run<K extends TOptimizerKind>(
    call: TCallOf<K>,
    trials: readonly THistoryTrial[] | TPackedHistory,
    opts: { timeoutMs?: number | undefined; budgetMs?: number | undefined } = {},
  ): Promise<TOptimizerAnswers[K]> {
    const packed = !Array.isArray(trials);
    if (this.runsInline(call, historyWork(trials))) {
      return answerCall(call, packed ? unpackHistory(trials as TPackedHistory) : (trials as readonly THistoryTrial[]));
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    // A history packed here is moved to the worker; one given packed may be the caller's cache: copied.
    const history = packed ? (trials as TPackedHistory) : packHistory(trials as readonly THistoryTrial[]);
    return this.runInWorker(call, history, packed ? [] : transferablesOf(history), timeoutMs, opts.budgetMs ?? timeoutMs);
  }

  private async runInWorker<K extends TOptimizerKind>(
    call: TCallOf<K>,
    history: TPackedHistory,
    transferList: ArrayBuffer[],
    timeoutMs: number,
    budgetMs: number,
  ): Promise<TOptimizerAnswers[K]> {
    const task: TOptimizerTask = { ...call, history };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let outcome: TTaskOutcome<unknown>;
    try {
      outcome = (await this.pool().run(task, { signal: abort.signal, transferList })) as TTaskOutcome<unknown>;
    } catch (err) {
      // Piscina terminates the worker running an aborted task (or drops it from the queue).
      if (abort.signal.aborted) throw optimizerTimeoutError(call.kind, budgetMs);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (!outcome.ok) throw errorOfOutcome(outcome.error);
    return outcome.value as TOptimizerAnswers[K];
  }

  private pool(): Piscina {
    if (this.piscina) return this.piscina;
    const file = optimizerWorkerPath();
    if (!existsSync(file)) {
      throw new Error(`The optimizer worker ${file} is missing: run \`pnpm --filter @autoglm/scheduler build\`.`);
    }
    const maxThreads = this.options.maxThreads ?? Math.max(1, availableParallelism() - 1);
    this.piscina = new Piscina({
      filename: pathToFileURL(file).href,
      minThreads: 0,
      maxThreads,
      idleTimeout: this.options.idleTimeoutMs ?? 60_000,
      // Workers register the same sampler plugins as this process (loaded before the first call).
      workerData: { samplerPlugins: [...loadedSamplerPlugins()] },
    });
    return this.piscina;
  }

  /** Ends the workers (queued and running calls fail). Idle workers never hold the process open. */
  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = null;
    await p?.destroy();
  }
}

let shared: OptimizerPool | null = null;

/** One per process: the API's asks, reports and importance and the agents' study optimizers share it. */
export function sharedOptimizerPool(): OptimizerPool {
  shared ??= new OptimizerPool();
  return shared;
}

import type { DbHandle } from "@autoglm/db/client";
import { findStudyPrunerNameById, findStudySpecById } from "@autoglm/db/queries";
import {
  createOptimizer,
  prunerFitsModel,
  prunerMayDecide,
  type Optimizer,
  type TOptimizerConfig,
  type TTrialState,
} from "@autoglm/optimizer";
import {
  objectivesOf,
  silentLogger,
  studySpecOf,
  systemClock,
  type Clock,
  type Logger,
  type TStudySpec,
} from "@autoglm/protocol";
import { historyShapeForPruning, historyTrialsOf, pruneReason } from "./ask-optimizer.js";
import { optimizerConfigOf, pruningConfigOf } from "./optimizer-config.js";
import { type OptimizerPool, sharedOptimizerPool } from "./optimizer-pool.js";
import { concatHistories, packHistory, type TAskAnswer, type TPackedHistory } from "./optimizer-task.js";

/** A new trial's number, params and proposer (`trials.proposed_by`). */
export type TStudyAsk = TAskAnswer & { id: number };
import { OneAtATime } from "./one-at-a-time.js";
import { StudyHistoryCache } from "./study-history.js";
import { loadWarmStart } from "./warm-start.js";

/** One optimizer over the study's trials, with the config the pool's calls rebuild it from. */
interface View {
  opt: Optimizer;
  config: TOptimizerConfig;
  /**
   * The finished trials, packed for the pool, until one more finishes: copying every trial
   * out of the optimizer (trials()) for each call took 13 ms at 300 trials of 100 values and
   * 41 ms at 1,000 on the loaded dev box; with this only the running ones are copied per call.
   */
  finished: TPackedHistory | null;
}

interface Entry {
  /**
   * The study's trials as its sampler sees them; it answers here only for cheap asks
   * (OptimizerPool.runsInline).
   */
  sampling: View;
  /**
   * The trials as its pruner sees them: the same view for one objective; for several, a
   * single-objective view of `pruner.objective` (pruningConfigOf). The pruner decides on this
   * thread unless it fits a model (then it is built without one and only records values;
   * decisions go to the pool).
   */
  pruning: View;
  /** With several objectives, which one the pruning view holds. */
  pick: number | undefined;
  objectives: number;
  pruneInPool: boolean;
  loadedAt: number;
  known: Set<number>;
  /** Each trial's last reported step (where its pruner last looked). */
  lastStep: Map<number, number>;
}

const FINISHED: TTrialState[] = ["complete", "pruned", "failed"];

/** After an ask failed (its sampler past the time budget), the study's asks pause this long. */
const ASK_PAUSE_MS = 60_000;

/**
 * One in-memory optimizer per study, rebuilt from Postgres (the truth) when older than
 * `refreshMs`: the pruner sees every server's reports within that bound, and a report costs
 * no history query on the hot path. Trial ids in the optimizer are trial numbers; waiting
 * trials count as running so parallel suggestions differ (constant liar).
 * Work that can take long runs in the optimizer pool, given this optimizer's trials (packed,
 * the finished ones cached): sampler asks (a GP ask is 30-2,000 ms) and decisions of pruners
 * that fit a model (ASHA's first decision after a trial finished: 0.5 s at 300 trials), so
 * the gateway's event loop never waits on them. Model-free decisions stay here: under 1 ms on
 * 1,000 trials with nothing to rebuild or post. The state stays here rather than pinned in a
 * worker: any worker serves any study, and one terminated at its time budget loses nothing.
 */
export class StudyOptimizers {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | null>>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Per gateway, not the process's: its refreshes and the API's calls do not evict each other. */
  private readonly histories = new StudyHistoryCache();

  private readonly pool: OptimizerPool;
  private readonly askPausedUntil = new Map<string, number>();
  /** A study's asks, one at a time: each sees the previous one's trial pending. */
  private readonly asks = new OneAtATime();

  constructor(
    private readonly db: DbHandle,
    private readonly options: {
      refreshMs: number;
      logger?: Logger;
      clock?: Clock;
      /** Where asks and model-fitting decisions run (default: the process's pool). */
      pool?: OptimizerPool;
      /** Budget of one pool call (ms); default the pool's (30 s). */
      timeoutMs?: number;
    },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.pool = options.pool ?? sharedOptimizerPool();
  }

  /** Cache ages are millisecond arithmetic on the shared Date clock. */
  private nowMs(): number {
    return this.clock.now().getTime();
  }

  invalidate(studyId: string): void {
    this.cache.delete(studyId);
  }

  async get(studyId: string): Promise<Entry | null> {
    const hit = this.cache.get(studyId);
    if (hit && this.nowMs() - hit.loadedAt < this.options.refreshMs) return hit;
    let p = this.loading.get(studyId);
    if (!p) {
      p = this.load(studyId).finally(() => this.loading.delete(studyId));
      this.loading.set(studyId, p);
    }
    return p;
  }

  private async load(studyId: string): Promise<Entry | null> {
    const study = await findStudySpecById(this.db, studyId);
    if (!study) return null;
    let views: { sampling: View; pruning: View; pruneInPool: boolean };
    let spec: TStudySpec;
    try {
      spec = studySpecOf(study.spec);
      views = viewsOf(spec);
    } catch (err) {
      this.logger.error("study optimizer could not be built", { studyId, error: String(err) });
      return null;
    }
    // Finished trials' curves come from the cache; only running and newly finished ones are read.
    const history = await this.histories.load(this.db.db, studyId);
    const objectives = objectivesOf(spec).length;
    const known = new Set<number>();
    const lastStep = new Map<number, number>();
    const sampled = historyTrialsOf(history, undefined, { objectives });
    const pruned = views.pruning === views.sampling ? null : historyTrialsOf(history, undefined, historyShapeForPruning(spec));
    sampled.forEach((t, i) => {
      try {
        views.sampling.opt.addTrial(t);
        if (pruned) views.pruning.opt.addTrial(pruned[i]!);
        known.add(t.id);
        const last = history[i]!.intermediate[history[i]!.intermediate.length - 1];
        if (last) lastStep.set(t.id, last[0]);
      } catch (err) {
        this.logger.warn("trial skipped when rebuilding the optimizer", { studyId, number: t.id, error: String(err) });
      }
    });
    // Prior observations only: not in `known`, so they take no trial number.
    for (const t of (await loadWarmStart(this.db.db, studyId, spec))?.trials ?? []) views.sampling.opt.addTrial(t);
    const pick = historyShapeForPruning(spec).pick;
    const entry: Entry = { ...views, pick, objectives, loadedAt: this.nowMs(), known, lastStep };
    this.cache.set(studyId, entry);
    return entry;
  }

  /** Parameters for a new trial of the study; null when there is no optimizer or its sampler failed. */
  ask(studyId: string): Promise<TStudyAsk | null> {
    return this.asks.run(studyId, () => this.askNow(studyId));
  }

  private async askNow(studyId: string): Promise<TStudyAsk | null> {
    const pausedUntil = this.askPausedUntil.get(studyId);
    if (pausedUntil !== undefined && this.nowMs() < pausedUntil) return null;
    const e = await this.get(studyId);
    if (!e) return null;
    let id = 0;
    for (const n of e.known) if (n >= id) id = n + 1;
    const call = { kind: "ask" as const, config: e.sampling.config, id };
    // Work 0: this optimizer is already built, an inline ask rebuilds nothing.
    if (this.pool.runsInline(call, 0)) {
      const asked = e.sampling.opt.ask({ id });
      if (e.pruning !== e.sampling)
        e.pruning.opt.addTrial({ id, params: asked.params, state: "running", proposedBy: asked.proposedBy });
      e.known.add(id);
      return asked;
    }
    let answer: TAskAnswer;
    try {
      answer = await this.pool.run(call, historyOf(e.sampling), { timeoutMs: this.options.timeoutMs });
    } catch (err) {
      // A sampler past its budget would take the same time at the next tick: pause this study.
      this.askPausedUntil.set(studyId, this.nowMs() + ASK_PAUSE_MS);
      this.logger.error("the study's sampler failed; its asks pause for a minute", { studyId, error: String(err) });
      return null;
    }
    this.askPausedUntil.delete(studyId);
    try {
      for (const v of viewsOfEntry(e))
        v.opt.addTrial({ id, params: answer.params, state: "running", proposedBy: answer.proposedBy });
      e.known.add(id);
    } catch {
      // The trial was added meanwhile (a report of another server's trial): rebuild next time.
      this.invalidate(studyId);
    }
    return { id, ...answer };
  }

  private readonly pruners = new Map<string, { name: string; at: number }>();

  /** The study's pruner name, cached like the optimizer (one small query, no history). */
  private async prunerName(studyId: string): Promise<string | null> {
    const hit = this.pruners.get(studyId);
    if (hit && this.nowMs() - hit.at < this.options.refreshMs * 5) return hit.name;
    const name = await findStudyPrunerNameById(this.db, studyId);
    if (name === null) return null;
    this.pruners.set(studyId, { name, at: this.nowMs() });
    return name;
  }

  /** Feeds an intermediate value to the study's pruner; why the trial should stop, or null. */
  async report(
    studyId: string,
    trial: { number: number; params: Record<string, unknown> },
    step: number,
    value: number,
  ): Promise<string | null> {
    // No pruner, no decision: skip rebuilding the study's history (L2 ingest stays cheap).
    const pruner = await this.prunerName(studyId);
    if (pruner === null || pruner === "none") return null;
    const e = await this.get(studyId);
    if (!e) return null;
    let prevStep = -Infinity;
    try {
      if (!e.known.has(trial.number)) {
        for (const v of viewsOfEntry(e)) v.opt.addTrial({ id: trial.number, params: trial.params as never, state: "running" });
        e.known.add(trial.number);
      }
      const last = e.lastStep.get(trial.number);
      if (last !== undefined && last < step) prevStep = last;
      e.lastStep.set(trial.number, Math.max(last ?? step, step));
      // Decides here, or (pruneInPool) only records the value.
      const here = e.pruning.opt.report(trial.number, step, value);
      if (!e.pruneInPool) return pruneReason(pruner, here);
    } catch (err) {
      // A finished or unknown trial in a stale cache: no prune decision, and rebuild next time.
      this.logger.warn("pruner skipped a report", { studyId, number: trial.number, error: String(err) });
      this.invalidate(studyId);
      return null;
    }
    const config = e.pruning.config.pruner ?? { name: "none" as const };
    if (!prunerMayDecide(config, step, prevStep)) return null;
    try {
      const call = { kind: "report" as const, config: e.pruning.config, id: trial.number, step, value };
      return pruneReason(pruner, await this.pool.run(call, historyOf(e.pruning), { timeoutMs: this.options.timeoutMs }));
    } catch (err) {
      // The value is stored; a missed decision is made again at the trial's next rung.
      this.logger.warn("pruner decision failed", { studyId, number: trial.number, error: String(err) });
      return null;
    }
  }

  /** Keeps the cached optimizer in step with a finished trial (best effort; the DB is the truth). */
  tell(studyId: string, ended: TEndedTrial): void {
    const e = this.cache.get(studyId);
    if (!e || !e.known.has(ended.number)) return;
    const { number, state } = ended;
    try {
      const constraints = state === "complete" && ended.constraintValues ? { constraints: ended.constraintValues } : undefined;
      e.sampling.opt.tell(number, state === "failed" ? null : sampledValue(e, ended), state, constraints);
      e.sampling.finished = null;
      if (e.pruning !== e.sampling) {
        const v = state === "failed" ? null : state === "complete" ? (ended.values?.[e.pick ?? 0] ?? null) : ended.value;
        e.pruning.opt.tell(number, v, state === "complete" && v === null ? "failed" : state);
        e.pruning.finished = null;
      }
    } catch {
      this.invalidate(studyId);
    }
  }
}

/** What a finished trial tells the cached optimizers (an ended attempt's row). */
export interface TEndedTrial {
  number: number;
  state: "complete" | "pruned" | "failed";
  value: number | null;
  values: number[] | null;
  constraintValues: number[] | null;
}

/** The value the sampling view takes: every objective's with several (a pruned trial has none), else the one. */
function sampledValue(e: Entry, t: TEndedTrial): number | number[] | null {
  if (e.objectives > 1) return t.state === "complete" ? t.values : null;
  return t.value;
}

function viewsOfEntry(e: Entry): View[] {
  return e.pruning === e.sampling ? [e.sampling] : [e.sampling, e.pruning];
}

/**
 * The study's sampling and pruning views. A pruner that fits a model is built without one (it
 * only records values) and decides in the pool.
 */
function viewsOf(spec: TStudySpec): { sampling: View; pruning: View; pruneInPool: boolean } {
  const config = optimizerConfigOf(spec);
  const pruneConfig = pruningConfigOf(spec);
  const pruneInPool = prunerFitsModel(pruneConfig.pruner ?? { name: "none" });
  const build = (c: TOptimizerConfig) => createOptimizer(pruneInPool ? { ...c, pruner: { name: "none" } } : c);
  const sampling: View = { opt: build(config), config, finished: null };
  if (objectivesOf(spec).length < 2) return { sampling, pruning: sampling, pruneInPool };
  return { sampling, pruning: { opt: build(pruneConfig), config: pruneConfig, finished: null }, pruneInPool };
}

/** A view's trials as the pool takes them: the cached finished ones, then the running ones. */
function historyOf(v: View): TPackedHistory {
  v.finished ??= packHistory(v.opt.trials(FINISHED));
  return concatHistories(v.finished, packHistory(v.opt.trials(["running"])));
}

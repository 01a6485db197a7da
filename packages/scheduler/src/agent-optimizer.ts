import type { DbHandle } from "@autoglm/db/client";
import { createOptimizer, type Optimizer, type TOptimizerConfig } from "@autoglm/optimizer";
import type { TStudySpec } from "@autoglm/protocol";
import { type AgentLogger, type Clock, silentLogger, systemClock } from "./agent-types.js";
import { askOptimizerConfig, pruneReason } from "./ask-optimizer.js";
import { StudyHistoryCache } from "./study-history.js";

/** The stored spec was parsed at creation (defaults filled in); one mapping serves ask/tell and agents. */
export function optimizerConfigFromSpec(spec: Record<string, unknown>): TOptimizerConfig {
  return askOptimizerConfig(spec as unknown as TStudySpec);
}

interface Entry {
  opt: Optimizer;
  loadedAt: number;
  known: Set<number>;
}

/**
 * One in-memory optimizer per study, rebuilt from Postgres (the truth) when older than
 * `refreshMs`: the pruner sees every server's reports within that bound, and a report costs
 * no history query on the hot path. Trial ids in the optimizer are trial numbers; waiting
 * trials count as running so parallel suggestions differ (constant liar).
 */
export class StudyOptimizers {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | null>>();
  private readonly logger: AgentLogger;
  private readonly clock: Clock;
  /** Per gateway, not the process's: its refreshes and the API's calls do not evict each other. */
  private readonly histories = new StudyHistoryCache();

  constructor(
    private readonly db: DbHandle,
    private readonly options: { refreshMs: number; logger?: AgentLogger; clock?: Clock },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
  }

  invalidate(studyId: string): void {
    this.cache.delete(studyId);
  }

  async get(studyId: string): Promise<Entry | null> {
    const hit = this.cache.get(studyId);
    if (hit && this.clock.now() - hit.loadedAt < this.options.refreshMs) return hit;
    let p = this.loading.get(studyId);
    if (!p) {
      p = this.load(studyId).finally(() => this.loading.delete(studyId));
      this.loading.set(studyId, p);
    }
    return p;
  }

  private async load(studyId: string): Promise<Entry | null> {
    const [study] = await this.db.query<{ spec: Record<string, unknown> }>(`SELECT spec FROM studies WHERE id = $1`, [studyId]);
    if (!study) return null;
    let opt: Optimizer;
    try {
      opt = createOptimizer(optimizerConfigFromSpec(study.spec));
    } catch (err) {
      this.logger.error("study optimizer could not be built", { studyId, error: String(err) });
      return null;
    }
    // Finished trials' curves come from the cache; only running and newly finished ones are read.
    const history = await this.histories.load(this.db.db, studyId);
    const known = new Set<number>();
    for (const { trial: t, intermediate } of history) {
      const n = t.number;
      let state: string = t.state === "waiting" ? "running" : t.state;
      if (state === "complete" && t.value === null) state = "failed";
      try {
        opt.addTrial({
          id: n,
          params: t.params as never,
          state: state as "running" | "complete" | "pruned" | "failed",
          value: state === "complete" || state === "pruned" ? t.value : null,
          intermediate,
        });
        known.add(n);
      } catch (err) {
        this.logger.warn("trial skipped when rebuilding the optimizer", { studyId, number: n, error: String(err) });
      }
    }
    const entry = { opt, loadedAt: this.clock.now(), known };
    this.cache.set(studyId, entry);
    return entry;
  }

  /** Parameters for a new trial of the study. */
  async ask(studyId: string): Promise<{ id: number; params: Record<string, unknown> } | null> {
    const e = await this.get(studyId);
    if (!e) return null;
    const asked = e.opt.ask();
    e.known.add(asked.id);
    return asked;
  }

  private readonly pruners = new Map<string, { name: string; at: number }>();

  /** The study's pruner name, cached like the optimizer (one small query, no history). */
  private async prunerName(studyId: string): Promise<string | null> {
    const hit = this.pruners.get(studyId);
    if (hit && this.clock.now() - hit.at < this.options.refreshMs * 5) return hit.name;
    const [row] = await this.db.query<{ name: string | null }>(`SELECT spec #>> '{pruner,name}' AS name FROM studies WHERE id = $1`, [studyId]);
    if (!row) return null;
    const name = row.name ?? "none";
    this.pruners.set(studyId, { name, at: this.clock.now() });
    return name;
  }

  /** Feeds an intermediate value to the study's pruner; why the trial should stop, or null. */
  async report(studyId: string, trial: { number: number; params: Record<string, unknown> }, step: number, value: number): Promise<string | null> {
    // No pruner, no decision: skip rebuilding the study's history (L2 ingest stays cheap).
    const pruner = await this.prunerName(studyId);
    if (pruner === null || pruner === "none") return null;
    const e = await this.get(studyId);
    if (!e) return null;
    try {
      if (!e.known.has(trial.number)) {
        e.opt.addTrial({ id: trial.number, params: trial.params as never, state: "running", intermediate: [] });
        e.known.add(trial.number);
      }
      return pruneReason(pruner, e.opt.report(trial.number, step, value));
    } catch (err) {
      // A finished or unknown trial in a stale cache: no prune decision, and rebuild next time.
      this.logger.warn("pruner skipped a report", { studyId, number: trial.number, error: String(err) });
      this.invalidate(studyId);
      return null;
    }
  }

  /** Keeps the cached optimizer in step with a finished trial (best effort; the DB is the truth). */
  tell(studyId: string, number: number, state: "complete" | "pruned" | "failed", value: number | null): void {
    const e = this.cache.get(studyId);
    if (!e || !e.known.has(number)) return;
    try {
      e.opt.tell(number, state === "failed" ? null : value, state);
    } catch {
      this.invalidate(studyId);
    }
  }
}

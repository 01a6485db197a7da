import type { DbHandle } from "@autoglm/db/client";
import type { AgentGateway } from "./agent-gateway.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { silentLogger, systemClock, type Clock, type Logger } from "@autoglm/protocol";
import { runLoopConfig, num, type RunLoopConfig, type RunLoopDeps } from "./agent-types.js";
import { expireAgentLeases } from "./expire-leases.js";
import { stopStudyTrials } from "./prune.js";

export interface SchedulerLoopDeps extends RunLoopDeps {
  /** The Socket.IO gateway of this process; without it the loop only tops up and sweeps. */
  gateway?: AgentGateway;
  optimizers?: StudyOptimizers;
}

interface StudyRow {
  id: string;
  org_id: string;
  spec: { budget?: { max_trials?: number; max_parallel?: number; max_failures?: number } };
  next_trial_number: unknown;
  active: unknown;
  failed: unknown;
}

/**
 * The run loop of one server process (STYLE 10: a facade over lease, heartbeat, prune and
 * retry). Every `tickMs` it keeps `budget.max_parallel` trials in flight for every running
 * study with a `run` section (asking the study's sampler, inserting `waiting` trials),
 * finishes studies whose budget is spent, and offers trials to this process's idle agents;
 * every `sweepMs` it returns expired agent leases to the queue. Several processes may run it
 * on one database: leasing is SKIP LOCKED and `next_trial_number < max_trials` is checked
 * under the study row's lock, so neither trials nor the trial budget are ever doubled (only
 * max_parallel may briefly overshoot by one tick of the other process).
 */
export class SchedulerLoop {
  readonly config: RunLoopConfig;
  readonly optimizers: StudyOptimizers;
  private readonly db: DbHandle;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly gateway: AgentGateway | undefined;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private ticking: Promise<void> | null = null;
  private sweeping: Promise<void> | null = null;
  private pokeTimer: NodeJS.Timeout | null = null;
  /**
   * After a (re)start, agents need a moment to reconnect and present their leases (R4:
   * re-adopt, don't restart); sweeping before one TTL has passed would expire leases whose
   * holders are alive and merely reconnecting.
   */
  private sweepNotBefore = 0;
  /**
   * The last sweep failed (PostgreSQL down or restarting). Heartbeats could not be written
   * meanwhile either, so a lease that "lapsed" during the outage says nothing about its agent:
   * sweeping right after the database returns charged every running trial an AGENT_LOST
   * attempt (R5: 5 of 20 trials after a 5 s outage with T = 3 s, some failed for good after 3
   * outages). Once the database answers again, sweeping waits one lease TTL so every live
   * agent (heartbeating every H < T) renews first.
   */
  private databaseDown = false;

  constructor(private readonly deps: SchedulerLoopDeps) {
    this.db = deps.db;
    this.logger = deps.logger ?? silentLogger;
    this.clock = deps.clock ?? systemClock;
    this.config = runLoopConfig(deps.config ?? deps.gateway?.config);
    this.gateway = deps.gateway;
    this.optimizers =
      deps.optimizers ??
      deps.gateway?.optimizers ??
      new StudyOptimizers(this.db, {
        refreshMs: this.config.optimizerRefreshMs,
        timeoutMs: this.config.optimizerTimeoutMs,
        logger: this.logger,
        clock: this.clock,
      });
    this.gateway?.addEndListener(() => this.poke());
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.sweepNotBefore = this.now() + this.config.startupGraceMs;
    this.timers.push(setInterval(() => void this.tick(), this.config.tickMs));
    this.timers.push(setInterval(() => void this.sweep(), this.config.sweepMs));
    void this.tick();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    this.pokeTimer = null;
    await Promise.allSettled([this.ticking, this.sweeping]);
  }

  /**
   * Something changed (a trial ended, a study was created): tick soon instead of in tickMs,
   * coalesced to one tick per 50 ms so 500 completions/s do not mean 500 top-up scans/s.
   */
  poke(): void {
    if (!this.running || this.pokeTimer) return;
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = null;
      void this.tick();
    }, 50);
  }

  private ticks = 0;

  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      try {
        const inserted = await this.topUp();
        if (inserted > 0) this.gateway?.queueChanged();
        // Every 5th tick offers to all agents anyway: trials queued by another server process
        // are not announced to this one.
        const full = this.ticks++ % 5 === 0;
        if (this.gateway) await this.gateway.offerAll({ onlyHungry: !full });
      } catch (err) {
        this.logger.error("scheduler tick failed", { error: String(err) });
      } finally {
        this.ticking = null;
      }
    })();
    return this.ticking;
  }

  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    if (this.now() < this.sweepNotBefore) return Promise.resolve();
    this.sweeping = (async () => {
      try {
        if (this.databaseDown) {
          await this.db.query("SELECT 1");
          this.databaseDown = false;
          this.sweepNotBefore = this.now() + this.config.leaseTtlMs;
          this.logger.info("database reachable again; lease sweep resumes after one lease TTL");
          return;
        }
        const ended = await expireAgentLeases(this.db);
        for (const e of ended) this.gateway?.afterEnd(e, { signalAgent: true });
        if (ended.length > 0) {
          this.logger.warn("agent leases expired", { count: ended.length });
          this.poke();
        }
      } catch (err) {
        this.logger.error("lease sweep failed", { error: String(err) });
        this.databaseDown = true;
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  /** Inserts waiting trials up to max_parallel per study; finishes spent studies. Returns how many. */
  async topUp(): Promise<number> {
    const studies = await this.db.query<StudyRow>(
      `SELECT s.id, s.org_id, s.spec, s.next_trial_number,
              (SELECT count(*) FROM trials t WHERE t.study_id = s.id AND t.state IN ('waiting', 'running')) AS active,
              (SELECT count(*) FROM trials t WHERE t.study_id = s.id AND t.state = 'failed') AS failed
       FROM studies s
       WHERE s.state = 'running' AND s.spec -> 'run' IS NOT NULL`,
    );
    let inserted = 0;
    for (const s of studies) {
      const budget = s.spec.budget ?? {};
      const maxTrials = budget.max_trials ?? 100;
      const maxParallel = budget.max_parallel ?? 4;
      const active = num(s.active);
      const failed = num(s.failed);
      const next = num(s.next_trial_number);
      if (budget.max_failures !== undefined && failed >= budget.max_failures) {
        await this.finishStudy(s, "failed", `budget.max_failures (${budget.max_failures}) reached`);
        continue;
      }
      if (next >= maxTrials && active === 0) {
        await this.finishStudy(s, "completed", "budget.max_trials reached");
        continue;
      }
      const want = Math.min(maxParallel - active, maxTrials - next);
      for (let i = 0; i < want; i++) {
        const ok = await this.insertTrial(s.id, maxTrials);
        if (!ok) break;
        inserted++;
      }
      if (want > 0) this.deps.publish?.({ type: "study:updated", orgId: s.org_id, studyId: s.id });
    }
    return inserted;
  }

  private async insertTrial(studyId: string, maxTrials: number): Promise<boolean> {
    const asked = await this.optimizers.ask(studyId);
    if (!asked) return false;
    const rows = await this.db.query<{ number: unknown }>(
      `WITH n AS (
         UPDATE studies SET next_trial_number = next_trial_number + 1, updated_at = now()
         WHERE id = $1 AND state = 'running' AND next_trial_number < $2
         RETURNING org_id, next_trial_number - 1 AS number
       )
       INSERT INTO trials (org_id, study_id, number, state, params)
       SELECT org_id, $1, number, 'waiting', $3::jsonb FROM n
       RETURNING number`,
      [studyId, maxTrials, JSON.stringify(asked.params)],
    );
    const row = rows[0];
    // Another process (or the ask API) took a number meanwhile: the cached optimizer's ids no
    // longer match the table's numbers, so rebuild it from the database next time.
    if (!row || num(row.number) !== asked.id) this.optimizers.invalidate(studyId);
    return Boolean(row);
  }

  private async finishStudy(s: StudyRow, state: "completed" | "failed", reason: string): Promise<void> {
    const rows = await this.db.query(
      `UPDATE studies SET state = $2, stopped_at = now(), updated_at = now() WHERE id = $1 AND state = 'running' RETURNING id`,
      [s.id, state],
    );
    if (rows.length === 0) return;
    if (state === "failed") {
      const ended = await stopStudyTrials(this.db, { orgId: s.org_id, studyId: s.id, code: "STUDY_STOPPED", reason });
      for (const e of ended) this.gateway?.afterEnd(e, { signalAgent: true });
    }
    this.logger.info("study finished", { studyId: s.id, state, reason });
    this.deps.publish?.({ type: "study:updated", orgId: s.org_id, studyId: s.id });
  }

  /** Current wall clock in ms (tests read it through the same source as the loop). */
  now(): number {
    return this.clock.now().getTime();
  }
}

import { pingDb, type DbHandle } from "@autoglm/db/client";
import { listStudiesToTopUp } from "@autoglm/db/queries";
import type { AgentGateway } from "./agent-gateway.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { silentLogger, systemClock, type Clock, type Logger } from "@autoglm/protocol";
import { runLoopConfig, type RunLoopConfig, type RunLoopDeps } from "./agent-types.js";
import { TrialLifecycle } from "./lifecycle.js";
import { describeFinish, type TStudyFinish } from "./lifecycle/study-completion.js";
import { ImprovementStop } from "./improvement-stop.js";

export interface SchedulerLoopDeps extends RunLoopDeps {
  /** The Socket.IO gateway of this process; without it the loop only tops up and sweeps. */
  gateway?: AgentGateway;
  optimizers?: StudyOptimizers;
}

/**
 * The run loop of one server process: the timers around the trial lifecycle (lifecycle.ts,
 * which ask/tell shares) and the gateway's leasing. Every `tickMs` it keeps
 * `budget.max_parallel` trials in flight for every running study with a `run` section
 * (asking the study's sampler, inserting `waiting` trials), finishes studies whose budget is
 * spent, and offers trials to this process's idle agents;
 * every `sweepMs` it returns expired agent leases to the queue. Several processes may run it
 * on one database: leasing is SKIP LOCKED and `next_trial_number < max_trials` is checked
 * under the study row's lock, so neither trials nor the trial budget are ever doubled (only
 * max_parallel may briefly overshoot by one tick of the other process).
 */
export class SchedulerLoop {
  readonly config: RunLoopConfig;
  readonly optimizers: StudyOptimizers;
  readonly lifecycle: TrialLifecycle<DbHandle>;
  private readonly db: DbHandle;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly gateway: AgentGateway | undefined;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private ticking: Promise<void> | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly improvementStop: ImprovementStop;
  private watching: Promise<void> | null = null;
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
    // The gateway's on the same handle (one facade per process); no clock: ends and expiries
    // are timed by the database's now(), like the leases themselves.
    const shared = deps.gateway?.lifecycle;
    this.lifecycle = shared && shared.db === this.db ? shared : new TrialLifecycle({ db: this.db, logger: this.logger });
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
    this.improvementStop = new ImprovementStop(this.db, { logger: this.logger, timeoutMs: this.config.optimizerTimeoutMs });
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.sweepNotBefore = this.now() + this.config.startupGraceMs;
    this.timers.push(setInterval(() => void this.tick(), this.config.tickMs));
    this.timers.push(setInterval(() => void this.sweep(), this.config.sweepMs));
    this.timers.push(setInterval(() => void this.checkStopWhen(), this.config.sweepMs));
    void this.tick();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    this.pokeTimer = null;
    await Promise.allSettled([this.ticking, this.sweeping, this.watching]);
  }

  /** Completes the studies whose `budget.stop_when` says there is too little left to gain (improvement-stop.ts). */
  checkStopWhen(): Promise<void> {
    if (this.watching) return this.watching;
    this.watching = (async () => {
      try {
        for (const s of await this.improvementStop.check()) {
          for (const e of s.ended) this.gateway?.afterEnd(e, { signalAgent: true });
          this.deps.publish?.({ type: "study:updated", orgId: s.orgId, studyId: s.studyId });
        }
      } catch (err) {
        this.logger.error("stop_when check failed", { error: String(err) });
      } finally {
        this.watching = null;
      }
    })();
    return this.watching;
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
          if (!(await pingDb(this.db))) throw new Error("the database does not answer");
          this.databaseDown = false;
          this.sweepNotBefore = this.now() + this.config.leaseTtlMs;
          this.logger.info("database reachable again; lease sweep resumes after one lease TTL");
          return;
        }
        const started = this.now();
        const stalled = () => this.now() - started > this.config.leaseTtlMs / 2;
        // A database that restarted within 2 TTL: its agents may still be reconnecting (their
        // handshakes needed it) and none could heartbeat while it was down.
        const ended = await this.lifecycle.expireAgentLeases({ stopIf: stalled, dbUpForMs: 2 * this.config.leaseTtlMs });
        for (const e of ended) this.gateway?.afterEnd(e, { signalAgent: true });
        if (stalled()) {
          // A scan that took half a TTL waited on a database that was down or restarting, and
          // the heartbeats of that time could not be written either (the case `databaseDown`
          // covers when a statement fails instead of hanging): let live agents renew first.
          this.sweepNotBefore = this.now() + this.config.leaseTtlMs;
          this.logger.warn("lease sweep waited on the database; it resumes after one lease TTL", {
            waitedMs: this.now() - started,
          });
        }
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

  /** Finishes spent studies, then inserts waiting trials up to max_parallel per study. Returns how many. */
  async topUp(): Promise<number> {
    for (const f of await this.lifecycle.finishSpentStudies()) this.afterFinish(f);
    let inserted = 0;
    for (const s of await listStudiesToTopUp(this.db)) {
      for (let i = 0; i < s.missing; i++) {
        if (!(await this.insertTrial(s.studyId))) break;
        inserted++;
      }
      this.deps.publish?.({ type: "study:updated", orgId: s.orgId, studyId: s.studyId });
    }
    return inserted;
  }

  private async insertTrial(studyId: string): Promise<boolean> {
    const asked = await this.optimizers.ask(studyId);
    if (!asked) return false;
    const trial = await this.lifecycle.insertTrial(studyId, { params: asked.params, proposedBy: asked.proposedBy });
    // Another process (or the ask API) took a number meanwhile: the cached optimizer's ids no
    // longer match the table's numbers, so rebuild it from the database next time.
    if (trial?.number !== asked.id) this.optimizers.invalidate(studyId);
    return trial !== null;
  }

  private afterFinish({ finished, ended }: TStudyFinish): void {
    for (const e of ended) this.gateway?.afterEnd(e, { signalAgent: true });
    this.logger.info("study finished", { studyId: finished.studyId, state: finished.state, reason: describeFinish(finished) });
    this.deps.publish?.({ type: "study:updated", orgId: finished.orgId, studyId: finished.studyId });
  }

  /** Current wall clock in ms (tests read it through the same source as the loop). */
  now(): number {
    return this.clock.now().getTime();
  }
}

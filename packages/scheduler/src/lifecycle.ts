import type { SqlDb, TLeaseRequest } from "@autoglm/db/queries";
import { silentLogger, type Clock, type Logger, type TTrialComplete } from "@autoglm/protocol";
import type { DbHandle } from "@autoglm/db/client";
import { completeAgentTrial, type CompleteResult } from "./lifecycle/agent-complete.js";
import type { TValueMetrics } from "./lifecycle/trial-values.js";
import { endAttempt, unleaseTrial, type EndAttemptInput, type EndedAttempt } from "./lifecycle/end-attempt.js";
import { expireAgentLeases, expireAskLease } from "./lifecycle/expire-leases.js";
import { insertNextTrial } from "./lifecycle/insert-trial.js";
import { stopStudyTrials } from "./lifecycle/stop-study-trials.js";
import { pruneTrial, stopTrial } from "./lifecycle/stop-trial.js";
import { finishSpentStudies, finishSpentStudy, type TStudyFinish } from "./lifecycle/study-completion.js";

export interface TLifecycleDeps<D extends SqlDb = SqlDb> {
  /** The pooled handle (the run loop) or a transaction (ask/tell, holding the study's lock). */
  db: D;
  /**
   * Ask/tell's clock (finished_at, lease expiry of programs; tests pass a shifted one).
   * Absent: the database's now(), which times agent leases across every server replica.
   */
  clock?: Clock;
  logger?: Logger;
}

/**
 * The trial lifecycle, one facade over single-concern systems (STYLE 10), each in
 * `lifecycle/`: insert a trial (insert-trial), end an attempt (end-attempt: agent
 * completions, tell, prune, stops and both lease sweepers end trials there and nowhere else,
 * with the best value), stop a trial or a study's trials (stop-trial, stop-study-trials),
 * finish a study on its budget (study-completion). Leasing and heartbeats sit beside it
 * (lease-trial.ts, heartbeat.ts). The ask/tell functions and the run loop both call this.
 */
export class TrialLifecycle<D extends SqlDb = SqlDb> {
  readonly db: D;
  readonly logger: Logger;
  private readonly clock: Clock | undefined;

  constructor(deps: TLifecycleDeps<D>) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger ?? silentLogger;
  }

  /** The time written on ends: the caller's clock, or undefined for the database's now(). */
  private at(): { at?: Date } {
    return this.clock ? { at: this.clock.now() } : {};
  }

  insertTrial(studyId: string, input: Parameters<typeof insertNextTrial>[2]) {
    return insertNextTrial(this.db, studyId, input);
  }

  endAttempt(input: EndAttemptInput): Promise<EndedAttempt | null> {
    return endAttempt(this.db, { ...this.at(), ...input });
  }

  unlease(input: { trialId: string; leaseToken: string }): Promise<boolean> {
    return unleaseTrial(this.db, input);
  }

  prune(input: Parameters<typeof pruneTrial>[1]): Promise<EndedAttempt | null> {
    return pruneTrial(this.db, input);
  }

  stopTrial(input: { orgId: string; trialId: string; reason?: string }): Promise<EndedAttempt | null> {
    return stopTrial(this.db, { ...this.at(), ...input });
  }

  stopStudyTrials(input: Omit<Parameters<typeof stopStudyTrials>[1], "at">): Promise<EndedAttempt[]> {
    return stopStudyTrials(this.db, { ...this.at(), ...input });
  }

  finishSpentStudy(studyId: string): Promise<TStudyFinish | null> {
    return finishSpentStudy(this.db, studyId, this.clock?.now());
  }

  finishSpentStudies(): Promise<TStudyFinish[]> {
    return finishSpentStudies(this.db);
  }

  expireAgentLeases(options: { limit?: number; stopIf?: () => boolean; dbUpForMs?: number } = {}): Promise<EndedAttempt[]> {
    return expireAgentLeases(this.db, options);
  }

  expireAskLease(t: { trialId: string; renewedAt: Date | null }, at: Date): Promise<EndedAttempt | null> {
    return expireAskLease(this.db, t, at);
  }

  /** An agent's `trial:complete` (the pooled handle only: its token is re-checked outside any transaction). */
  completeAgentTrial(
    this: TrialLifecycle<DbHandle>,
    input: {
      agentId: string;
      msg: TTrialComplete;
      metrics?: TValueMetrics | undefined;
      leaseNext?: Omit<TLeaseRequest, "agentId"> | undefined;
    },
  ): Promise<CompleteResult> {
    return completeAgentTrial(this.db, input);
  }
}

/**
 * How an attempt ends: "complete" / "pruned" / "failed" finish the trial in that state;
 * "retry" sends it back to `waiting` while it has attempts left (and its study runs), else
 * fails it with the attempt's code.
 */
export type TEndMode = "complete" | "pruned" | "failed" | "retry";

export interface TEndAttemptQuery {
  trialId: string;
  /** Only a trial leased this way matches; null matches either (a user's stop). */
  leaseKind: "ask" | "agent" | null;
  /** Fences on the token the caller holds; null matches any holder (sweepers, user stops). */
  leaseToken: string | null;
  /** Only a trial leased to this agent matches (a socket ends only its own trials). */
  agentId: string | null;
  /** Only this attempt matches: a completion names the attempt it ends (a later one is not its to end). */
  attempt: number | null;
  /**
   * Only while `agentId`'s token may act (S13): an agent's own report of its result. Checked in
   * the statement, so a completion is one round trip on the path an idle agent waits through (L1).
   */
  agentMustAct: boolean;
  /** Only a trial of this org matches (user-facing stops). */
  orgId: string | null;
  /** Sweepers: only if the lease has really lapsed at `at` (a renewal may have just won). */
  onlyIfExpired: boolean;
  mode: TEndMode;
  /** The attempt's end code (UPPER_SNAKE); null for a trial a program told complete. */
  code: string | null;
  /** Whether this end spends one of the study's max_attempts. */
  consumesAttempt: boolean;
  /** The codes whose earlier attempts spent nothing (R10), to count the attempts spent. */
  nonConsumingCodes: readonly string[];
  reason: string | null;
  value: number | null;
  /** Per objective, in spec order (`value` is the first); null: none (a pruned or failed trial). */
  values?: number[] | null;
  /** Per constraint, its violation (≤ 0 satisfied); null when the study has none or the trial no values. */
  constraintValues?: number[] | null;
  lastStep: number | null;
  logTail: string | null;
  /** The source reference the agent's command printed (validated by the protocol); absent: none. */
  source?: Record<string, unknown> | null;
  /** The caller's clock (ask/tell); null uses the database's now() (the run loop's leases). */
  at: Date | null;
}

export interface TEndedAttemptRow {
  trialId: string;
  orgId: string;
  studyId: string;
  number: number;
  attempt: number;
  state: "waiting" | "complete" | "pruned" | "failed";
  value: number | null;
  values: number[] | null;
  constraintValues: number[] | null;
  /** Every constraint satisfied; null without constraints. */
  feasible: boolean | null;
  /** The holder before the end (an agent to signal) and its token. */
  agentId: string | null;
  leaseToken: string | null;
}

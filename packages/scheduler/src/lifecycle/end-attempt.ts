import {
  endAttemptAndLeaseNextById,
  endTrialAttemptById,
  unleaseTrialById,
  type SqlDb,
  type TAgentLeaseRow,
  type TEndAttemptQuery,
  type TEndedAttemptRow,
  type TEndMode,
  type TLeaseRequest,
} from "@autoglm/db/queries";
import { NON_CONSUMING_END_CODES, TRIAL_END_CODES, type TSourceRef, type TTrialEndCode } from "@autoglm/protocol";

/**
 * How an attempt ends:
 *  - "complete" / "pruned" / "failed": the trial is finished with that state.
 *  - "retry": the platform (or a retryable user failure such as a non-zero exit) ended the
 *    attempt; the trial goes back to `waiting` while it has attempts left, else it fails
 *    with the attempt's code. Codes with `consumesAttempt: false` (AGENT_SHUTDOWN,
 *    LEASE_NOT_DELIVERED, LEASE_REJECTED) never spend one (R10).
 */
export type { TEndMode };

/** A trial's end code: the run loop's, or a program's own `tell(failed)`. */
export type TEndCode = TTrialEndCode | "USER_REPORTED_FAILURE";

export interface EndAttemptInput {
  trialId: string;
  /** The lease token the caller holds; omitted only by the sweepers and user stops (they match any holder). */
  leaseToken?: string;
  /** When set, only a trial leased to this agent matches (a socket can end only its own trials). */
  agentId?: string;
  /** When set, only this attempt matches (a completion names the attempt it ends). */
  attempt?: number;
  /** Only while `agentId`'s token may act (S13): an agent reporting its own result. */
  agentMustAct?: boolean;
  /** When set, only a trial of this org matches (user-facing stops are tenant-scoped). */
  orgId?: string;
  /** Which lease the trial must hold: an agent's (the default), a program's (ask), or either (a user's stop). */
  leaseKind?: "agent" | "ask" | "any";
  /** Sweepers: only end it if the lease has really lapsed (a heartbeat may have just renewed it). */
  onlyIfExpired?: boolean;
  mode: TEndMode;
  /** Null only for a trial its program told complete (ask/tell writes no code for success). */
  code: TEndCode | null;
  reason: string | null;
  value?: number | null;
  /** Per objective, in spec order (`value` is the first). */
  values?: number[] | null;
  /** Per constraint, its violation (≤ 0 satisfied); absent when the study has none. */
  constraintValues?: number[] | null;
  lastStep?: number | null;
  logTail?: string | null;
  /** The source reference the command printed (an agent's completion carries it). */
  source?: TSourceRef | null;
  /** The caller's clock (ask/tell); absent: the database's now(), as leases are timed. */
  at?: Date;
}

export type EndedAttempt = TEndedAttemptRow;

const NON_CONSUMING: readonly string[] = NON_CONSUMING_END_CODES;

/**
 * THE place a trial's attempt ends: agent completions, tell, the lease sweepers, prune and
 * every stop go through here, so lease fencing, the attempt budget and the best value have
 * one implementation (the statement is `endTrialAttemptById` in @autoglm/db). Null when the
 * trial is not running under the lease described (a stale token changes nothing, R2).
 */
export function endAttempt(db: SqlDb, input: EndAttemptInput): Promise<EndedAttempt | null> {
  return endTrialAttemptById(db, queryOf(input));
}

/**
 * An agent's attempt ends as `endAttempt` ends it, and in the same statement the agent is
 * leased its next trial into the slot this frees (`lease` null: the end matched nothing, or
 * nothing fits). The caller holds the agent's lease chain (LeasePump), as for any lease.
 */
export function endAttemptThenLease(
  db: SqlDb,
  input: EndAttemptInput & { agentId: string },
  next: Omit<TLeaseRequest, "agentId">,
): Promise<{ ended: EndedAttempt | null; lease: TAgentLeaseRow | null }> {
  return endAttemptAndLeaseNextById(db, { ...queryOf(input), agentId: input.agentId }, next);
}

function queryOf(input: EndAttemptInput): TEndAttemptQuery {
  const known = input.code !== null && input.code in TRIAL_END_CODES ? TRIAL_END_CODES[input.code as TTrialEndCode] : null;
  return {
    trialId: input.trialId,
    leaseKind: input.leaseKind === "any" ? null : (input.leaseKind ?? "agent"),
    leaseToken: input.leaseToken ?? null,
    agentId: input.agentId ?? null,
    attempt: input.attempt ?? null,
    agentMustAct: input.agentMustAct ?? false,
    orgId: input.orgId ?? null,
    onlyIfExpired: input.onlyIfExpired ?? false,
    mode: input.mode,
    code: input.code,
    consumesAttempt: known?.consumesAttempt ?? true,
    nonConsumingCodes: NON_CONSUMING,
    reason: input.reason === null ? null : input.reason.slice(0, 2000),
    value: input.value ?? null,
    values: input.values ?? null,
    constraintValues: input.constraintValues ?? null,
    lastStep: input.lastStep ?? null,
    logTail: input.logTail ?? null,
    source: input.source ?? null,
    at: input.at ?? null,
  };
}

/** Whether an attempt with this code goes back to the queue (within max_attempts). */
export function isRetryable(code: TTrialEndCode): boolean {
  return TRIAL_END_CODES[code].retry;
}

/**
 * Takes back a lease the agent explicitly declined (no free slot yet): the attempt never
 * started, so it is erased rather than ended — no attempt row, no attempt number spent, and
 * the dashboard's attempt list shows only attempts that ran. Fenced by the token like every
 * other write. (A lease that got no answer at all may have started; that one is ended with
 * LEASE_NOT_DELIVERED instead, so its number is never reused.)
 */
export function unleaseTrial(db: SqlDb, input: { trialId: string; leaseToken: string }): Promise<boolean> {
  return unleaseTrialById(db, input);
}

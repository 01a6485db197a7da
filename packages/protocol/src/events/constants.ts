/**
 * Run-loop constants (RELIABILITY.md): heartbeat H = 5 s, lease TTL T = 15 s = 3 H (two
 * heartbeats may be lost before a lease lapses), sweep every 5 s, so an orphaned attempt is
 * re-leased within T + sweep + 1 tick ≤ 2T. Every one of them is an option in the scheduler
 * and the agent so tests shrink them; these are only the defaults.
 */
export const PROTOCOL_VERSION = 1 as const;
export const AGENT_NAMESPACE = "/agents";
export const DEFAULT_HEARTBEAT_MS = 5_000;
export const DEFAULT_LEASE_TTL_MS = 15_000;
export const DEFAULT_SWEEP_MS = 5_000;
/** W&B's KILL_DELAY: SIGTERM, then SIGKILL 30 s later. */
export const DEFAULT_KILL_GRACE_MS = 30_000;
/** How long an emitWithAck waits before the sender retries (Socket.IO acks are at-most-once). */
export const DEFAULT_ACK_TIMEOUT_MS = 5_000;
/** The API-token scope an agent's token must carry (CONTRACT.md). */
export const AGENT_SCOPE = "agent";

/**
 * Why an attempt or a trial ended, UPPER_SNAKE, saying whose fault it was (STYLE 6).
 * `consumesAttempt: false` codes hand a trial back without spending one of its
 * `budget.max_attempts` (R10 graceful shutdown, a lease the agent never received).
 */
export const TRIAL_END_CODES = {
  COMPLETED: { consumesAttempt: true, retry: false },
  PRUNED: { consumesAttempt: true, retry: false },
  USER_STOPPED: { consumesAttempt: true, retry: false },
  STUDY_STOPPED: { consumesAttempt: true, retry: false },
  USER_COMMAND_EXIT_NONZERO: { consumesAttempt: true, retry: true },
  USER_COMMAND_SPAWN_FAILED: { consumesAttempt: true, retry: true },
  USER_TIMEOUT: { consumesAttempt: true, retry: false },
  USER_NO_OBJECTIVE: { consumesAttempt: true, retry: false },
  /** A completed command reported no value of a constraint's metric: its feasibility is unknown. */
  USER_NO_CONSTRAINT_METRIC: { consumesAttempt: true, retry: false },
  /**
   * The agent's trial user (nobody under a root agent) cannot reach what the trial runs: the
   * agent's setup, not the study's. It spends an attempt so a trial no agent can run ends
   * after max_attempts instead of circling forever; another agent may take the retry.
   */
  AGENT_TRIAL_USER_NO_ACCESS: { consumesAttempt: true, retry: true },
  AGENT_LOST: { consumesAttempt: true, retry: true },
  LEASE_EXPIRED: { consumesAttempt: true, retry: true },
  AGENT_SHUTDOWN: { consumesAttempt: false, retry: true },
  LEASE_NOT_DELIVERED: { consumesAttempt: false, retry: true },
  LEASE_REJECTED: { consumesAttempt: false, retry: true },
  MAX_ATTEMPTS_EXCEEDED: { consumesAttempt: true, retry: false },
} as const;
export type TTrialEndCode = keyof typeof TRIAL_END_CODES;
/** End codes that do not spend an attempt, for SQL `NOT IN (...)` lists. */
export const NON_CONSUMING_END_CODES = (Object.keys(TRIAL_END_CODES) as TTrialEndCode[]).filter(
  (c) => !TRIAL_END_CODES[c].consumesAttempt,
);

import type { Db } from "@autoglm/db/client";
import { systemClock, type Clock } from "@autoglm/protocol";
import { TrialLifecycle } from "./lifecycle.js";
import type { OptimizerPool } from "./optimizer-pool.js";
import type { StudyHistoryCache } from "./study-history.js";

export interface TAskTellConfig {
  /**
   * Overrides the study's `budget.lease_minutes` for ask-leases (ms). Tests shrink it to ~1 s
   * instead of faking time; production leaves it unset (the spec's 10 min default wins).
   */
  askLeaseMs?: number;
  /** Budget of one optimizer call (ms; optimizer-pool.ts, default 30 s); tests shrink it. */
  optimizerTimeoutMs?: number | undefined;
}

export interface TAskTellDeps {
  db: Db;
  /** Wall clock (lease expiry, finished_at); tests pass a fixed or shifted one. */
  clock?: Clock;
  config?: TAskTellConfig;
  /** Where study histories are read through (default: the process's one, study-history.ts). */
  histories?: StudyHistoryCache;
  /** Where sampler asks and pruner decisions run (default: the process's one, optimizer-pool.ts). */
  optimizerPool?: OptimizerPool;
}

export interface TActor {
  userId: string | null;
  tokenId?: string | null;
}

export { SchedulerError, type TSchedulerErrorCode } from "./scheduler-error.js";

export function nowOf(deps: TAskTellDeps): Date {
  return (deps.clock ?? systemClock).now();
}

/** The lifecycle on `db` (the deps' database or a transaction of it), timed by the ask/tell clock. */
export function askLifecycle(deps: TAskTellDeps, db: Db): TrialLifecycle<Db> {
  return new TrialLifecycle({ db, clock: deps.clock ?? systemClock });
}

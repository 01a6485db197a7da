/**
 * The one source of "now" for the api and the scheduler; tests pass a fixed or shifted one
 * instead of waiting. It returns a Date because most readers want one: about 25 call sites
 * of the api and the ask/tell side (expiries, finished_at, rate-limit windows) hand it
 * straight to SQL, while the millisecond arithmetic of the run loop (optimizer cache ages,
 * the sweep's startup grace, agent silence) sits in 3 places that each convert once.
 * Lease expiries of agents use the database's own now(), not this.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

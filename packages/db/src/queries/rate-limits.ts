// Unscoped by design: counters keyed by token or client, not by team. Listed in tenancy.test.ts.
import { and, eq, sql } from "drizzle-orm";
import { rateLimits } from "../schema.js";
import type { Db } from "../client.js";
import type { DbOrTx } from "./scope.js";
import { withTransaction } from "./tx.js";

/** Fixed window start for `now`: every replica computes the same key, so the counter is shared. */
export function windowStartOf(now: Date, windowMs: number): Date {
  return new Date(Math.floor(now.getTime() / windowMs) * windowMs);
}

export async function readRateLimit(db: DbOrTx, input: { key: string; windowStart: Date }): Promise<number> {
  const rows = await db
    .select({ count: rateLimits.count })
    .from(rateLimits)
    .where(and(eq(rateLimits.key, input.key), eq(rateLimits.windowStart, input.windowStart)))
    .limit(1);
  return rows[0]?.count ?? 0;
}

/**
 * Atomically adds one to the window's counter and returns the new count.
 *
 * Every API-token request makes this write, so it commits without waiting for the WAL flush
 * (`synchronous_commit = off`, for this transaction only): 0.5 ms instead of 2.8 ms a request
 * on the CI machine's disk, a fifth of an SDK report. A counter is not a record: a crash
 * loses at most the last fraction of a second of increments, never another row's write.
 * Call it on the root handle: inside a transaction, SET LOCAL would reach the outer one.
 */
export async function hitRateLimit(db: Db, input: { key: string; windowStart: Date }): Promise<number> {
  return withTransaction(db, async (tx) => {
    await tx.execute(sql`set local synchronous_commit = off`);
    const rows = await tx
      .insert(rateLimits)
      .values({ key: input.key, windowStart: input.windowStart, count: 1 })
      .onConflictDoUpdate({
        target: [rateLimits.key, rateLimits.windowStart],
        set: { count: sql`${rateLimits.count} + 1` },
      })
      .returning({ count: rateLimits.count });
    return rows[0]?.count ?? 1;
  });
}

/** Old windows are garbage; called opportunistically. */
export async function pruneRateLimits(db: DbOrTx, before: Date): Promise<void> {
  await db.delete(rateLimits).where(sql`${rateLimits.windowStart} < ${before}`);
}

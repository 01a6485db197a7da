// Unscoped by design: browser sessions belong to a user, not a team. Listed in tenancy.test.ts.
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { userSessions } from "../schema.js";
import type { DbOrTx } from "./scope.js";

export type TUserSessionRow = typeof userSessions.$inferSelect;

/** Records a new browser session; its id goes into the session cookie's JWT. */
export async function insertUserSession(db: DbOrTx, input: { userId: string; expiresAt: Date }): Promise<TUserSessionRow> {
  const rows = await db.insert(userSessions).values(input).returning();
  return rows[0]!;
}

/** The session if it belongs to the user, is not revoked and has not expired at `now`. */
export async function findLiveUserSession(
  db: DbOrTx,
  input: { sessionId: string; userId: string; now: Date },
): Promise<TUserSessionRow | null> {
  const rows = await db
    .select()
    .from(userSessions)
    .where(
      and(
        eq(userSessions.id, input.sessionId),
        eq(userSessions.userId, input.userId),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, input.now),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** Sign-out: this one session stops working. Returns whether a live session was revoked. */
export async function revokeUserSession(db: DbOrTx, input: { sessionId: string; userId: string; now: Date }): Promise<boolean> {
  const rows = await db
    .update(userSessions)
    .set({ revokedAt: input.now })
    .where(and(eq(userSessions.id, input.sessionId), eq(userSessions.userId, input.userId), isNull(userSessions.revokedAt)))
    .returning({ id: userSessions.id });
  return rows.length > 0;
}

/** Expired sessions are garbage; called opportunistically. */
export async function pruneUserSessions(db: DbOrTx, before: Date): Promise<void> {
  await db.delete(userSessions).where(lt(userSessions.expiresAt, before));
}

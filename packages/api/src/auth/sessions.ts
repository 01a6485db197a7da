import type { DbHandle } from "@autoglm/db/client";
import {
  findLiveUserSession,
  findUserById,
  insertUserSession,
  isUuid,
  pruneUserSessions,
  revokeUserSession,
} from "@autoglm/db/queries";

/** A user whose password, session or identity provider was just verified. */
export interface TAuthenticatedUser {
  id: string;
  email: string;
  name: string;
  sessionVersion: number;
}

/** 30 days, like the API token default; the cookie's JWT carries the same expiry. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;

/** What a session cookie's JWT carries; the API re-checks all three against the database (S4). */
export interface TSessionClaims {
  userId: string;
  sessionVersion: number;
  /** The `user_sessions` row this cookie belongs to: sign-out revokes it. */
  sessionId: string;
}

/** Records a new session for a user who just signed in; its id goes into the JWT. */
export async function startUserSession(
  handle: DbHandle,
  input: { userId: string },
  options: { now?: Date; maxAgeMs?: number } = {},
): Promise<{ sessionId: string; expiresAt: Date }> {
  const now = options.now ?? new Date();
  const expiresAt = new Date(now.getTime() + (options.maxAgeMs ?? SESSION_MAX_AGE_MS));
  const row = await insertUserSession(handle.db, { userId: input.userId, expiresAt });
  // Expired rows are garbage; about one sign-in in 100 sweeps them (no timer needed).
  if (Math.random() < 0.01) await pruneUserSessions(handle.db, now);
  return { sessionId: row.id, expiresAt };
}

/**
 * Sign-out: the session stops working on its next request or socket check, wherever its
 * cookie was copied to. Unknown or malformed ids change nothing. Returns whether a live
 * session was ended.
 */
export async function endUserSession(
  handle: DbHandle,
  input: { userId: string; sessionId: string },
  options: { now?: Date } = {},
): Promise<boolean> {
  if (!isUuid(input.userId) || !isUuid(input.sessionId)) return false;
  return revokeUserSession(handle.db, { ...input, now: options.now ?? new Date() });
}

/**
 * The per-request check of a session cookie (S4): the session row must be live (not signed
 * out, not expired), the JWT's `sessionVersion` must equal the user's current one (sign out
 * everywhere, password change) and the user must not be deactivated. Null otherwise.
 */
export async function verifySessionUser(
  handle: DbHandle,
  claims: TSessionClaims,
  options: { now?: Date } = {},
): Promise<TAuthenticatedUser | null> {
  const { userId, sessionId, sessionVersion } = claims;
  if (typeof userId !== "string" || !isUuid(userId) || typeof sessionId !== "string" || !isUuid(sessionId)) return null;
  const [user, session] = await Promise.all([
    findUserById(handle.db, userId),
    findLiveUserSession(handle.db, { sessionId, userId, now: options.now ?? new Date() }),
  ]);
  if (!user || !session || user.disabledAt !== null || user.sessionVersion !== sessionVersion) return null;
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

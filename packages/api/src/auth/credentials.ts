import type { DbHandle } from "@autoglm/db/client";
import { clearAuthAttempts, deleteAuthAttempts, findUserByEmail } from "@autoglm/db/queries";
import { AppError } from "../errors.js";
import { dummyPasswordHash, verifyPassword } from "./password.js";
import { DEFAULT_SIGN_IN_LIMITS, readSignInVerdict, reserveSignInAttempt, type TSignInLimits } from "./attempt-limits.js";
import type { TAuthenticatedUser } from "./sessions.js";

export { DEFAULT_SIGN_IN_LIMITS, type TSignInLimits } from "./attempt-limits.js";
export { verifySessionUser, type TAuthenticatedUser } from "./sessions.js";

function rateLimited(retryAfterSeconds: number): AppError {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return new AppError("RATE_LIMITED", {
    userMessage: `Too many failed sign-in attempts. Try again in ${minutes} minute(s).`,
  });
}

/** Users created by an OIDC sign-in have no password: tell them where to sign in instead. */
export function ssoAccount(): AppError {
  return new AppError("SSO_ACCOUNT", {
    userMessage: "This account signs in with single sign-on and has no password: use the single sign-on button.",
  });
}

/**
 * Read-only: would a sign-in for this email from this client be refused right now? For
 * hosts that must answer 429 before calling `authenticateCredentials` (next-auth's authorize
 * cannot set a status). Same log and rules as the counting path, so the two cannot drift.
 */
export async function checkSignInLimit(
  handle: DbHandle,
  input: { email: string | null | undefined; ip: string | null },
  options: { limits?: Partial<TSignInLimits>; now?: Date } = {},
): Promise<{ limited: boolean; retryAfterSeconds: number }> {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits };
  return readSignInVerdict(handle, input, limits, options.now ?? new Date());
}

/**
 * Email + password sign-in for next-auth's credentials provider, under the S6 limits of
 * ./attempt-limits.ts (kept in Postgres so every replica shares them). Unknown emails, wrong
 * passwords and deactivated accounts answer the same sentence in the same time.
 */
export async function authenticateCredentials(
  handle: DbHandle,
  input: { email: string; password: string; ip: string | null },
  options: { limits?: Partial<TSignInLimits>; now?: Date } = {},
): Promise<TAuthenticatedUser> {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits };
  const now = options.now ?? new Date();
  const email = input.email.trim().toLowerCase().slice(0, 320);
  const attempt = await reserveSignInAttempt(handle, { email, ip: input.ip }, limits, now);
  if (attempt.verdict.limited) throw rateLimited(attempt.verdict.retryAfterSeconds);
  const user = await findUserByEmail(handle.db, email);
  const ok = user?.passwordHash
    ? (await verifyPassword(user.passwordHash, input.password)) && user.disabledAt === null
    : (await verifyPassword(await dummyPasswordHash(), input.password), false);
  // The reserved attempt stays in the log either way: it is this failure.
  if (user && user.passwordHash === null && user.disabledAt === null) throw ssoAccount();
  if (!ok || !user) {
    throw new AppError("INVALID_CREDENTIALS", { userMessage: "Wrong email or password." });
  }
  // This client knows the password: its own failures on the account were typos, not attacks.
  await deleteAuthAttempts(handle.db, [attempt.attemptId]);
  if (attempt.accountKey)
    await clearAuthAttempts(handle.db, { kind: "sign_in", accountKey: attempt.accountKey, clientKey: attempt.clientKey });
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

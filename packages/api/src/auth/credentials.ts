import type { DbHandle } from "@autoglm/db/client";
import { findUserByEmail, findUserById, hitRateLimit, isUuid, pruneRateLimits, readRateLimit, windowStartOf } from "@autoglm/db/queries";
import { AppError } from "../errors.js";
import { dummyPasswordHash, verifyPassword } from "./password.js";
import { sha256Hex } from "./api-token.js";

export interface TSignInLimits {
  /** Fixed window length (ms). Default 15 min (S6). Tests shrink it. */
  windowMs: number;
  /** Failed attempts per account per window, across all IPs. Default 10. */
  perAccount: number;
  /** Failed attempts per IP per window, across all accounts. Default 30. */
  perIp: number;
}

export const DEFAULT_SIGN_IN_LIMITS: TSignInLimits = { windowMs: 15 * 60_000, perAccount: 10, perIp: 30 };

export interface TAuthenticatedUser {
  id: string;
  email: string;
  name: string;
  sessionVersion: number;
}

/** The shared counter keys: hashes of the normalized email (no PII in the table) and the IP. */
function signInKeys(input: { email: string | null | undefined; ip: string | null }, limits: TSignInLimits, now: Date) {
  const email = (input.email ?? "").trim().toLowerCase().slice(0, 320);
  return {
    email,
    accountKey: `signin:acct:${sha256Hex(email)}`,
    ipKey: `signin:ip:${input.ip ?? "unknown"}`,
    windowStart: windowStartOf(now, limits.windowMs),
  };
}

/**
 * Read-only: is this email or IP over its failure budget right now? For hosts that must
 * answer 429 before calling `authenticateCredentials` (next-auth's authorize cannot set a
 * status). Same keys and window as the counting path, so the two cannot drift.
 */
export async function checkSignInLimit(
  handle: DbHandle,
  input: { email: string | null | undefined; ip: string | null },
  options: { limits?: Partial<TSignInLimits>; now?: Date } = {},
): Promise<{ limited: boolean; retryAfterSeconds: number }> {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits };
  const now = options.now ?? new Date();
  const { accountKey, ipKey, windowStart, email } = signInKeys(input, limits, now);
  const [account, perIp] = await Promise.all([
    email ? readRateLimit(handle.db, { key: accountKey, windowStart }) : Promise.resolve(0),
    readRateLimit(handle.db, { key: ipKey, windowStart }),
  ]);
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart.getTime() + limits.windowMs - now.getTime()) / 1000));
  return { limited: account >= limits.perAccount || perIp >= limits.perIp, retryAfterSeconds };
}

function minutesLeft(now: Date, windowMs: number): number {
  const end = windowStartOf(now, windowMs).getTime() + windowMs;
  return Math.max(1, Math.ceil((end - now.getTime()) / 60_000));
}

/**
 * Email + password sign-in for next-auth's credentials provider, with the S6 limits kept in
 * `rate_limits` so every replica shares them: after 10 failures on one account (from any
 * IPs) or 30 from one IP (over any accounts) within the window, further attempts answer
 * RATE_LIMITED — even with the right password — until the window ends. Unknown emails,
 * wrong passwords and deactivated accounts answer the same sentence in the same time.
 */
export async function authenticateCredentials(
  handle: DbHandle,
  input: { email: string; password: string; ip: string | null },
  options: { limits?: Partial<TSignInLimits>; now?: Date } = {},
): Promise<TAuthenticatedUser> {
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...options.limits };
  const now = options.now ?? new Date();
  const { accountKey, ipKey, windowStart, email } = signInKeys(input, limits, now);
  const check = await checkSignInLimit(handle, input, { limits, now });
  if (check.limited) {
    throw new AppError("RATE_LIMITED", {
      userMessage: `Too many failed sign-in attempts. Try again in ${minutesLeft(now, limits.windowMs)} minute(s).`,
    });
  }
  const user = await findUserByEmail(handle.db, email);
  const ok = user
    ? (await verifyPassword(user.passwordHash, input.password)) && user.disabledAt === null
    : (await verifyPassword(await dummyPasswordHash(), input.password), false);
  if (!ok || !user) {
    await hitRateLimit(handle.db, { key: accountKey, windowStart });
    await hitRateLimit(handle.db, { key: ipKey, windowStart });
    // Old windows are garbage; about one failure in 100 sweeps them (no timer needed).
    if (Math.random() < 0.01) await pruneRateLimits(handle.db, new Date(windowStart.getTime() - limits.windowMs));
    throw new AppError("INVALID_CREDENTIALS", { userMessage: "Wrong email or password." });
  }
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

/**
 * The per-request check of a next-auth session (S4): the JWT's `sessionVersion` must equal
 * the user's current one and the user must not be deactivated. Returns null otherwise.
 */
export async function verifySessionUser(
  handle: DbHandle,
  input: { userId: string; sessionVersion: number },
): Promise<TAuthenticatedUser | null> {
  if (typeof input.userId !== "string" || !isUuid(input.userId)) return null;
  const user = await findUserById(handle.db, input.userId);
  if (!user || user.disabledAt !== null || user.sessionVersion !== input.sessionVersion) return null;
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

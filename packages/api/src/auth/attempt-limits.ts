import type { DbHandle } from "@autoglm/db/client";
import {
  deleteAuthAttempts,
  insertAuthAttempt,
  listAuthAttempts,
  pruneAuthAttempts,
  type TAuthAttempt,
} from "@autoglm/db/queries";
import { sha256Hex } from "@autoglm/protocol/api-token";

/**
 * Sign-in limits (S6), as sliding windows over the `auth_attempts` log so every server
 * replica shares them and no window edge lets a burst through.
 *
 * The scheme, and why: a failure is charged to the account AND to the client (its address).
 * - A client with `perClient` (30) failures in the window, over any accounts, is refused:
 *   one address spraying passwords over many accounts (S6b: 429 from attempt 31).
 * - Once an account has `perAccount` (10) failures in the window, every client that has
 *   itself failed on it is refused (S6a: 100 guesses over 10 addresses get 429 from attempt
 *   11). A client that has NOT failed on the account is still let in with the right
 *   password: an attacker cannot lock the real user out, and each fresh address the
 *   attacker brings buys it exactly one more guess.
 * - An account with `perAccountHard` (100) failures in the window refuses every client. Only
 *   an attacker with ~90 fresh addresses per window gets here; no address-keyed scheme can
 *   tell the real user from such a botnet, so we bound its guesses (100 per 15 min) instead,
 *   and the real user gets in once the failures slide out of the window.
 * A success clears that client's failures on that account.
 */
export interface TSignInLimits {
  /** Sliding window (ms). Default 15 min (S6). Tests shrink it or move the clock. */
  windowMs: number;
  /** Failures on one account after which the clients that failed on it are refused. Default 10. */
  perAccount: number;
  /** Failures on one account after which every client is refused. Default 100. */
  perAccountHard: number;
  /** Failures from one client over all accounts. Default 30. */
  perClient: number;
}

export const DEFAULT_SIGN_IN_LIMITS: TSignInLimits = {
  windowMs: 15 * 60_000,
  perAccount: 10,
  perAccountHard: 100,
  perClient: 30,
};

/**
 * Sign-up limit per client (sliding). 20 an hour covers a team signing up from one office;
 * it also bounds how fast one address can probe for existing accounts through sign-up.
 */
export interface TSignUpLimit {
  limit: number;
  windowMs: number;
}

export const DEFAULT_SIGN_UP_LIMIT: TSignUpLimit = { limit: 20, windowMs: 3600_000 };

export interface TLimitVerdict {
  limited: boolean;
  retryAfterSeconds: number;
}

/** Log keys are hashes: no email or address is stored in the table. */
export function accountKeyOf(email: string | null | undefined): string | null {
  const normalized = (email ?? "").trim().toLowerCase().slice(0, 320);
  return normalized ? sha256Hex(`account:${normalized}`) : null;
}

export function clientKeyOf(ip: string | null | undefined): string {
  return sha256Hex(`client:${ip || "unknown"}`);
}

/** Milliseconds until fewer than `limit` of `times` (ascending) are inside the window. */
function msUntilFewer(times: number[], limit: number, windowMs: number, now: number): number {
  if (times.length < limit) return 0;
  return Math.max(0, times[times.length - limit]! + windowMs - now);
}

/** Pure verdict over the window's sign-in failures (excluding the attempt being judged). */
export function judgeSignIn(
  attempts: TAuthAttempt[],
  keys: { accountKey: string | null; clientKey: string },
  limits: TSignInLimits,
  now: Date,
): TLimitVerdict {
  const t = now.getTime();
  const since = t - limits.windowMs;
  const live = attempts.filter((a) => a.at.getTime() > since);
  const times = (pred: (a: TAuthAttempt) => boolean) => live.filter(pred).map((a) => a.at.getTime());
  const client = times((a) => a.clientKey === keys.clientKey);
  const account = keys.accountKey ? times((a) => a.accountKey === keys.accountKey) : [];
  const accountClient = keys.accountKey ? times((a) => a.accountKey === keys.accountKey && a.clientKey === keys.clientKey) : [];
  const waits: number[] = [];
  if (client.length >= limits.perClient) waits.push(msUntilFewer(client, limits.perClient, limits.windowMs, t));
  if (account.length >= limits.perAccount && accountClient.length >= 1) {
    waits.push(
      Math.min(msUntilFewer(account, limits.perAccount, limits.windowMs, t), msUntilFewer(accountClient, 1, limits.windowMs, t)),
    );
  }
  if (account.length >= limits.perAccountHard) waits.push(msUntilFewer(account, limits.perAccountHard, limits.windowMs, t));
  if (!waits.length) return { limited: false, retryAfterSeconds: 0 };
  return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
}

/** Read-only: would a sign-in for this email from this client be refused right now? */
export async function readSignInVerdict(
  handle: DbHandle,
  input: { email: string | null | undefined; ip: string | null },
  limits: TSignInLimits,
  now: Date,
): Promise<TLimitVerdict> {
  const keys = { accountKey: accountKeyOf(input.email), clientKey: clientKeyOf(input.ip) };
  const attempts = await listAuthAttempts(handle.db, {
    kind: "sign_in",
    ...keys,
    since: new Date(now.getTime() - limits.windowMs),
  });
  return judgeSignIn(attempts, keys, limits, now);
}

/**
 * Logs the attempt first, then judges it against every OTHER logged attempt: of N concurrent
 * attempts the k-th to commit sees at least k-1 others, so no burst of parallel requests gets
 * more than the limit through (a read-then-write check would let them all pass). A refused
 * attempt is removed again; the caller keeps an accepted one only if it fails.
 */
export async function reserveSignInAttempt(
  handle: DbHandle,
  input: { email: string | null | undefined; ip: string | null },
  limits: TSignInLimits,
  now: Date,
): Promise<{ verdict: TLimitVerdict; attemptId: number; accountKey: string | null; clientKey: string }> {
  const keys = { accountKey: accountKeyOf(input.email), clientKey: clientKeyOf(input.ip) };
  const attemptId = await insertAuthAttempt(handle.db, { kind: "sign_in", ...keys, at: now });
  const attempts = await listAuthAttempts(handle.db, {
    kind: "sign_in",
    ...keys,
    since: new Date(now.getTime() - limits.windowMs),
  });
  const verdict = judgeSignIn(
    attempts.filter((a) => a.id !== attemptId),
    keys,
    limits,
    now,
  );
  if (verdict.limited) await deleteAuthAttempts(handle.db, [attemptId]);
  // Old rows are garbage; about one attempt in 100 sweeps them (no timer needed).
  if (Math.random() < 0.01)
    await pruneAuthAttempts(handle.db, new Date(now.getTime() - Math.max(limits.windowMs, DEFAULT_SIGN_UP_LIMIT.windowMs)));
  return { verdict, attemptId, ...keys };
}

/** Counts one sign-up from this client; refused (and not counted) past the limit. */
export async function reserveSignUpAttempt(
  handle: DbHandle,
  input: { ip: string | null },
  limit: TSignUpLimit,
  now: Date,
): Promise<TLimitVerdict> {
  const clientKey = clientKeyOf(input.ip);
  const attemptId = await insertAuthAttempt(handle.db, { kind: "sign_up", accountKey: null, clientKey, at: now });
  const since = new Date(now.getTime() - limit.windowMs);
  const others = (await listAuthAttempts(handle.db, { kind: "sign_up", accountKey: null, clientKey, since })).filter(
    (a) => a.id !== attemptId,
  );
  if (others.length < limit.limit) return { limited: false, retryAfterSeconds: 0 };
  await deleteAuthAttempts(handle.db, [attemptId]);
  const wait = msUntilFewer(
    others.map((a) => a.at.getTime()),
    limit.limit,
    limit.windowMs,
    now.getTime(),
  );
  return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
}

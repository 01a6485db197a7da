// Unscoped by design: sign-in throttling is keyed by account and client, before any team is
// known. Listed in tenancy.test.ts.
import { and, eq, gt, inArray, lt, or } from "drizzle-orm";
import { authAttempts } from "../schema.js";
import type { DbOrTx } from "./scope.js";

export type TAuthAttemptKind = "sign_in" | "sign_up";

export interface TAuthAttempt {
  id: number;
  accountKey: string | null;
  clientKey: string;
  at: Date;
}

/** Logs one attempt (a sign-in about to be checked, or a sign-up) and returns its id. */
export async function insertAuthAttempt(
  db: DbOrTx,
  input: { kind: TAuthAttemptKind; accountKey: string | null; clientKey: string; at: Date },
): Promise<number> {
  const rows = await db.insert(authAttempts).values(input).returning({ id: authAttempts.id });
  return rows[0]!.id;
}

/**
 * Attempts of `kind` since `since` that share the account or the client, oldest first. Each
 * key's rows stop growing at its limit (refused attempts are deleted), so this is small.
 */
export async function listAuthAttempts(
  db: DbOrTx,
  input: { kind: TAuthAttemptKind; accountKey: string | null; clientKey: string; since: Date },
): Promise<TAuthAttempt[]> {
  const keyMatch = input.accountKey
    ? or(eq(authAttempts.accountKey, input.accountKey), eq(authAttempts.clientKey, input.clientKey))
    : eq(authAttempts.clientKey, input.clientKey);
  return db
    .select({ id: authAttempts.id, accountKey: authAttempts.accountKey, clientKey: authAttempts.clientKey, at: authAttempts.at })
    .from(authAttempts)
    .where(and(eq(authAttempts.kind, input.kind), gt(authAttempts.at, input.since), keyMatch))
    .orderBy(authAttempts.at, authAttempts.id);
}

export async function deleteAuthAttempts(db: DbOrTx, ids: number[]): Promise<void> {
  if (ids.length) await db.delete(authAttempts).where(inArray(authAttempts.id, ids));
}

/** Forgets a client's failures on an account (after it signed in with the right password). */
export async function clearAuthAttempts(
  db: DbOrTx,
  input: { kind: TAuthAttemptKind; accountKey: string; clientKey: string },
): Promise<void> {
  await db
    .delete(authAttempts)
    .where(
      and(
        eq(authAttempts.kind, input.kind),
        eq(authAttempts.accountKey, input.accountKey),
        eq(authAttempts.clientKey, input.clientKey),
      ),
    );
}

/** Rows older than every window are garbage; called opportunistically. */
export async function pruneAuthAttempts(db: DbOrTx, before: Date): Promise<void> {
  await db.delete(authAttempts).where(lt(authAttempts.at, before));
}

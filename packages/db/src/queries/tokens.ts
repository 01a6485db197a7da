import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiTokens, users } from "../schema.js";
import type { DbOrTx } from "./scope.js";

export type TTokenRow = typeof apiTokens.$inferSelect;

export async function insertToken(
  db: DbOrTx,
  input: {
    orgId: string;
    userId: string;
    name: string;
    prefix: string;
    tokenHash: string;
    scopes: string[];
    projectId: string | null;
    expiresAt: Date | null;
  },
): Promise<TTokenRow> {
  const [row] = await db.insert(apiTokens).values(input).returning();
  if (!row) throw new Error("token insert returned nothing");
  return row;
}

/** Not tenant-scoped: the hash IS the credential; the row tells which tenant it belongs to. */
export async function findTokenByHash(db: DbOrTx, tokenHash: string): Promise<TTokenRow | null> {
  const rows = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).limit(1);
  return rows[0] ?? null;
}

export async function listTokens(db: DbOrTx, input: { orgId: string; userId?: string | null }) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      scopes: apiTokens.scopes,
      projectId: apiTokens.projectId,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
      createdAt: apiTokens.createdAt,
      userEmail: users.email,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.orgId, input.orgId), input.userId ? eq(apiTokens.userId, input.userId) : undefined))
    .orderBy(desc(apiTokens.createdAt));
}

export async function findToken(db: DbOrTx, input: { orgId: string; id: string }): Promise<TTokenRow | null> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.orgId, input.orgId), eq(apiTokens.id, input.id)))
    .limit(1);
  return rows[0] ?? null;
}

/** Revokes a token of the org; `userId` restricts it to the caller's own tokens. */
export async function revokeToken(
  db: DbOrTx,
  input: { orgId: string; id: string; userId?: string | null; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: input.at })
    .where(
      and(
        eq(apiTokens.orgId, input.orgId),
        eq(apiTokens.id, input.id),
        input.userId ? eq(apiTokens.userId, input.userId) : undefined,
        isNull(apiTokens.revokedAt),
      ),
    )
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Deletes a user's tokens of one name (the server's own, re-issued at each start); returns their ids. */
export async function deleteTokensNamed(db: DbOrTx, input: { orgId: string; userId: string; name: string }): Promise<string[]> {
  const rows = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.orgId, input.orgId), eq(apiTokens.userId, input.userId), eq(apiTokens.name, input.name)))
    .returning({ id: apiTokens.id });
  return rows.map((r) => r.id);
}

/**
 * Records use, at most once per `throttleMs` per token: the WHERE makes the write a no-op
 * inside the window, so a busy token costs one UPDATE a minute, not one per request.
 */
export async function touchTokenLastUsed(db: DbOrTx, input: { id: string; now: Date; throttleMs: number }): Promise<void> {
  const cutoff = new Date(input.now.getTime() - input.throttleMs);
  await db
    .update(apiTokens)
    .set({ lastUsedAt: input.now })
    .where(and(eq(apiTokens.id, input.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, cutoff))));
}

/** Count of live tokens (for tests and dashboards). */
export async function countTokens(db: DbOrTx, orgId: string): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(eq(apiTokens.orgId, orgId));
  return Number(rows[0]?.n ?? 0);
}

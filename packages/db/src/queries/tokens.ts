import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiTokens, users } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";

export type TTokenRow = typeof apiTokens.$inferSelect;

export async function insertToken(
  db: DbOrTx,
  scope: TenantScope,
  input: {
    userId: string;
    name: string;
    prefix: string;
    tokenHash: string;
    scopes: string[];
    projectId: string | null;
    expiresAt: Date | null;
    /** Set for an endpoint key (scope `infer`): it opens only that endpoint. */
    endpointId?: string | null;
  },
): Promise<TTokenRow> {
  const [row] = await db
    .insert(apiTokens)
    .values({ orgId: scope.orgId, ...input })
    .returning();
  if (!row) throw new Error("token insert returned nothing");
  return row;
}

/** Unscoped: the hash IS the credential; the row tells which team it belongs to. */
export async function findTokenByHash(db: DbOrTx, tokenHash: string): Promise<TTokenRow | null> {
  const rows = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).limit(1);
  return rows[0] ?? null;
}

/** The team's tokens; `userId` restricts them to one member's own. */
export async function listTokens(db: DbOrTx, scope: TenantScope, input: { userId?: string | null } = {}) {
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
    .where(and(eq(apiTokens.orgId, scope.orgId), input.userId ? eq(apiTokens.userId, input.userId) : undefined))
    .orderBy(desc(apiTokens.createdAt));
}

export async function findToken(db: DbOrTx, scope: TenantScope, tokenId: string): Promise<TTokenRow | null> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.orgId, scope.orgId), eq(apiTokens.id, tokenId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Revokes a token of the org; `userId` restricts it to the caller's own tokens. */
export async function revokeToken(
  db: DbOrTx,
  scope: TenantScope,
  input: { id: string; userId?: string | null; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: input.at })
    .where(
      and(
        eq(apiTokens.orgId, scope.orgId),
        eq(apiTokens.id, input.id),
        input.userId ? eq(apiTokens.userId, input.userId) : undefined,
        isNull(apiTokens.revokedAt),
      ),
    )
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Deletes a user's tokens of one name (the server's own, re-issued at each start); returns their ids. */
export async function deleteTokensNamed(
  db: DbOrTx,
  scope: TenantScope,
  input: { userId: string; name: string },
): Promise<string[]> {
  const rows = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.orgId, scope.orgId), eq(apiTokens.userId, input.userId), eq(apiTokens.name, input.name)))
    .returning({ id: apiTokens.id });
  return rows.map((r) => r.id);
}

/**
 * Unscoped: called for the token being verified (found by its hash), before a scope exists.
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
export async function countTokens(db: DbOrTx, scope: TenantScope): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(eq(apiTokens.orgId, scope.orgId));
  return Number(rows[0]?.n ?? 0);
}

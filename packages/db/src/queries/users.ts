// Unscoped by design: users and their memberships establish who the caller is, before any
// team is known (a user belongs to several teams). Listed in tenancy.test.ts.
import { and, eq, sql } from "drizzle-orm";
import { memberships, organizations, users } from "../schema.js";
import type { DbOrTx, TRole } from "./scope.js";

export type TUserRow = typeof users.$inferSelect;

export async function findUserByEmail(db: DbOrTx, email: string): Promise<TUserRow | null> {
  const rows = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return rows[0] ?? null;
}

export async function findUserById(db: DbOrTx, userId: string): Promise<TUserRow | null> {
  const rows = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  return rows[0] ?? null;
}

export async function insertUser(
  db: DbOrTx,
  input: { email: string; name: string; passwordHash: string },
): Promise<TUserRow | null> {
  const rows = await db.insert(users).values(input).onConflictDoNothing().returning();
  return rows[0] ?? null;
}

/** Ends every session of the user (S4): sessions carry the version they were minted with. */
export async function bumpSessionVersion(db: DbOrTx, userId: string): Promise<number> {
  const rows = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning({ v: users.sessionVersion });
  return rows[0]?.v ?? 0;
}

export async function setUserPassword(db: DbOrTx, userId: string, passwordHash: string): Promise<void> {
  await db
    .update(users)
    .set({ passwordHash, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, userId));
}

export async function disableUser(db: DbOrTx, userId: string, at: Date): Promise<void> {
  await db
    .update(users)
    .set({ disabledAt: at, sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: at })
    .where(eq(users.id, userId));
}

export interface TUserOrg {
  id: string;
  name: string;
  slug: string;
  role: TRole;
}

export async function listOrgsOfUser(db: DbOrTx, userId: string): Promise<TUserOrg[]> {
  return db
    .select({ id: organizations.id, name: organizations.name, slug: organizations.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(organizations.createdAt);
}

export async function findMembership(db: DbOrTx, input: { orgId: string; userId: string }): Promise<{ role: TRole } | null> {
  const rows = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, input.orgId), eq(memberships.userId, input.userId)))
    .limit(1);
  return rows[0] ?? null;
}

import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { invitations, memberships, organizations, users } from "../schema.js";
import type { DbOrTx, TRole } from "./scope.js";

/** `Demo Team` → `demo-team`; a short random suffix keeps slugs unique without a retry loop. */
export function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return base || "team";
}

export async function insertOrgWithOwner(
  db: DbOrTx,
  input: { name: string; slug: string; ownerId: string },
): Promise<{ id: string; slug: string }> {
  const [org] = await db.insert(organizations).values({ name: input.name, slug: input.slug }).returning();
  if (!org) throw new Error("organization insert returned nothing");
  await db.insert(memberships).values({ orgId: org.id, userId: input.ownerId, role: "owner" });
  return { id: org.id, slug: org.slug };
}

export async function slugTaken(db: DbOrTx, slug: string): Promise<boolean> {
  const rows = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug)).limit(1);
  return rows.length > 0;
}

export async function findOrg(db: DbOrTx, orgId: string): Promise<{ id: string; name: string; slug: string } | null> {
  const rows = await db
    .select({ id: organizations.id, name: organizations.name, slug: organizations.slug })
    .from(organizations)
    .where(eq(organizations.id, orgId))
    .limit(1);
  return rows[0] ?? null;
}

export async function listMembers(db: DbOrTx, orgId: string) {
  return db
    .select({
      userId: memberships.userId,
      email: users.email,
      name: users.name,
      role: memberships.role,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(memberships.createdAt);
}

export async function countOwners(db: DbOrTx, orgId: string): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "owner")));
  return Number(rows[0]?.n ?? 0);
}

export async function lockMemberships(db: DbOrTx, orgId: string): Promise<void> {
  // Serialises role changes of one team so "the last owner" check cannot race.
  await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for("update");
}

export async function updateMemberRole(db: DbOrTx, input: { orgId: string; userId: string; role: TRole }): Promise<boolean> {
  const rows = await db
    .update(memberships)
    .set({ role: input.role })
    .where(and(eq(memberships.orgId, input.orgId), eq(memberships.userId, input.userId)))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

export async function deleteMember(db: DbOrTx, input: { orgId: string; userId: string }): Promise<boolean> {
  const rows = await db
    .delete(memberships)
    .where(and(eq(memberships.orgId, input.orgId), eq(memberships.userId, input.userId)))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

export async function upsertMembership(db: DbOrTx, input: { orgId: string; userId: string; role: TRole }): Promise<void> {
  await db.insert(memberships).values(input).onConflictDoNothing();
}

export async function insertInvitation(
  db: DbOrTx,
  input: { orgId: string; tokenHash: string; role: TRole; email: string | null; createdBy: string | null; expiresAt: Date },
) {
  const [row] = await db.insert(invitations).values(input).returning();
  if (!row) throw new Error("invitation insert returned nothing");
  return row;
}

export async function listInvitations(db: DbOrTx, orgId: string) {
  return db.select().from(invitations).where(eq(invitations.orgId, orgId)).orderBy(desc(invitations.createdAt));
}

export async function revokeInvitation(db: DbOrTx, input: { orgId: string; id: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ revokedAt: input.at })
    .where(
      and(
        eq(invitations.orgId, input.orgId),
        eq(invitations.id, input.id),
        isNull(invitations.revokedAt),
        isNull(invitations.acceptedAt),
      ),
    )
    .returning({ id: invitations.id });
  return rows.length > 0;
}

/** Looks an invitation up by the hash of its secret; the secret is the capability, not tenant-scoped. */
export async function findInvitationByHash(db: DbOrTx, tokenHash: string) {
  const rows = await db
    .select({ inv: invitations, orgName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.orgId))
    .where(eq(invitations.tokenHash, tokenHash))
    .limit(1);
  return rows[0] ?? null;
}

export async function markInvitationAccepted(db: DbOrTx, input: { id: string; userId: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ acceptedAt: input.at, acceptedBy: input.userId })
    .where(and(eq(invitations.id, input.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .returning({ id: invitations.id });
  return rows.length > 0;
}

export async function findOrgIdBySlug(db: DbOrTx, slug: string): Promise<string | null> {
  const rows = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug)).limit(1);
  return rows[0]?.id ?? null;
}

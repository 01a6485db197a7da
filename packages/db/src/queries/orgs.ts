import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { invitations, memberships, organizations, users } from "../schema.js";
import type { DbOrTx, TenantScope, TRole } from "./scope.js";

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

/** Unscoped: it creates the team, so no scope exists yet. */
export async function insertOrgWithOwner(
  db: DbOrTx,
  input: { name: string; slug: string; ownerId: string },
): Promise<{ id: string; slug: string }> {
  const [org] = await db.insert(organizations).values({ name: input.name, slug: input.slug }).returning();
  if (!org) throw new Error("organization insert returned nothing");
  await db.insert(memberships).values({ orgId: org.id, userId: input.ownerId, role: "owner" });
  return { id: org.id, slug: org.slug };
}

/** Unscoped: slugs are unique across every team. */
export async function slugTaken(db: DbOrTx, slug: string): Promise<boolean> {
  const rows = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug)).limit(1);
  return rows.length > 0;
}

export async function findOrg(db: DbOrTx, scope: TenantScope): Promise<{ id: string; name: string; slug: string } | null> {
  const rows = await db
    .select({ id: organizations.id, name: organizations.name, slug: organizations.slug })
    .from(organizations)
    .where(eq(organizations.id, scope.orgId))
    .limit(1);
  return rows[0] ?? null;
}

export async function listMembers(db: DbOrTx, scope: TenantScope) {
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
    .where(eq(memberships.orgId, scope.orgId))
    .orderBy(memberships.createdAt);
}

export async function countOwners(db: DbOrTx, scope: TenantScope): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.orgId, scope.orgId), eq(memberships.role, "owner")));
  return Number(rows[0]?.n ?? 0);
}

export async function lockMemberships(db: DbOrTx, scope: TenantScope): Promise<void> {
  // Serialises role changes of one team so "the last owner" check cannot race.
  await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, scope.orgId)).for("update");
}

export async function updateMemberRole(db: DbOrTx, scope: TenantScope, input: { userId: string; role: TRole }): Promise<boolean> {
  const rows = await db
    .update(memberships)
    .set({ role: input.role })
    .where(and(eq(memberships.orgId, scope.orgId), eq(memberships.userId, input.userId)))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

export async function deleteMember(db: DbOrTx, scope: TenantScope, input: { userId: string }): Promise<boolean> {
  const rows = await db
    .delete(memberships)
    .where(and(eq(memberships.orgId, scope.orgId), eq(memberships.userId, input.userId)))
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

export async function upsertMembership(db: DbOrTx, scope: TenantScope, input: { userId: string; role: TRole }): Promise<void> {
  await db
    .insert(memberships)
    .values({ orgId: scope.orgId, ...input })
    .onConflictDoNothing();
}

export async function insertInvitation(
  db: DbOrTx,
  scope: TenantScope,
  input: { tokenHash: string; role: TRole; email: string | null; createdBy: string | null; expiresAt: Date },
) {
  const [row] = await db
    .insert(invitations)
    .values({ orgId: scope.orgId, ...input })
    .returning();
  if (!row) throw new Error("invitation insert returned nothing");
  return row;
}

export async function listInvitations(db: DbOrTx, scope: TenantScope) {
  return db.select().from(invitations).where(eq(invitations.orgId, scope.orgId)).orderBy(desc(invitations.createdAt));
}

export async function revokeInvitation(db: DbOrTx, scope: TenantScope, input: { id: string; at: Date }): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ revokedAt: input.at })
    .where(
      and(
        eq(invitations.orgId, scope.orgId),
        eq(invitations.id, input.id),
        isNull(invitations.revokedAt),
        isNull(invitations.acceptedAt),
      ),
    )
    .returning({ id: invitations.id });
  return rows.length > 0;
}

/** Unscoped: the hash of the invitation's secret is the capability; the row tells which team it is for. */
export async function findInvitationByHash(db: DbOrTx, tokenHash: string) {
  const rows = await db
    .select({ inv: invitations, orgName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.orgId))
    .where(eq(invitations.tokenHash, tokenHash))
    .limit(1);
  return rows[0] ?? null;
}

/** `scope` is the invitation's own team: accepting it is what makes the caller a member. */
export async function markInvitationAccepted(
  db: DbOrTx,
  scope: TenantScope,
  input: { id: string; userId: string; at: Date },
): Promise<boolean> {
  const rows = await db
    .update(invitations)
    .set({ acceptedAt: input.at, acceptedBy: input.userId })
    .where(
      and(
        eq(invitations.orgId, scope.orgId),
        eq(invitations.id, input.id),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning({ id: invitations.id });
  return rows.length > 0;
}

/** Unscoped: resolves a team's public slug to its id (seeding); membership is checked on the id. */
export async function findOrgIdBySlug(db: DbOrTx, slug: string): Promise<string | null> {
  const rows = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug)).limit(1);
  return rows[0]?.id ?? null;
}

// Single sign-on: OIDC identities of users (identity lookups, unscoped like ./users.ts) and the
// teams' email-domain / group mappings (scoped, except the sign-in's lookup across teams).
import { and, eq, inArray, or } from "drizzle-orm";
import { memberships, ssoMappings, users } from "../schema.js";
import type { DbOrTx, TenantScope, TRole } from "./scope.js";
import type { TUserRow } from "./users.js";

export type TSsoMappingKind = "email_domain" | "group";

export interface TSsoMapping {
  kind: TSsoMappingKind;
  value: string;
  role: TRole;
}

export async function findUserByOidcIdentity(db: DbOrTx, input: { issuer: string; subject: string }): Promise<TUserRow | null> {
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.oidcIssuer, input.issuer), eq(users.oidcSubject, input.subject)))
    .limit(1);
  return rows[0] ?? null;
}

/** First OIDC sign-in: a user without a password. Null when the email is taken. */
export async function insertOidcUser(
  db: DbOrTx,
  input: { email: string; name: string; issuer: string; subject: string },
): Promise<TUserRow | null> {
  const rows = await db
    .insert(users)
    .values({ email: input.email, name: input.name, passwordHash: null, oidcIssuer: input.issuer, oidcSubject: input.subject })
    .onConflictDoNothing()
    .returning();
  return rows[0] ?? null;
}

/** Links an existing account (found by its provider-verified email) to its OIDC identity. */
export async function setUserOidcIdentity(db: DbOrTx, userId: string, input: { issuer: string; subject: string }): Promise<void> {
  await db
    .update(users)
    .set({ oidcIssuer: input.issuer, oidcSubject: input.subject, updatedAt: new Date() })
    .where(eq(users.id, userId));
}

export async function listSsoMappings(db: DbOrTx, scope: TenantScope): Promise<(TSsoMapping & { id: string })[]> {
  return db
    .select({ id: ssoMappings.id, kind: ssoMappings.kind, value: ssoMappings.value, role: ssoMappings.role })
    .from(ssoMappings)
    .where(eq(ssoMappings.orgId, scope.orgId))
    .orderBy(ssoMappings.kind, ssoMappings.value);
}

/** Replaces the team's mappings with `mappings` (the caller holds a transaction). */
export async function replaceSsoMappings(db: DbOrTx, scope: TenantScope, mappings: TSsoMapping[]): Promise<void> {
  await db.delete(ssoMappings).where(eq(ssoMappings.orgId, scope.orgId));
  if (mappings.length === 0) return;
  await db.insert(ssoMappings).values(mappings.map((m) => ({ ...m, orgId: scope.orgId })));
}

/** Every team's mapping that the signing-in user's claims match: the sign-in spans teams. */
export async function findSsoMappingsForClaims(
  db: DbOrTx,
  claims: { emailDomain: string | null; groups: string[] },
): Promise<{ orgId: string; kind: TSsoMappingKind; value: string; role: TRole }[]> {
  const conditions = [];
  if (claims.emailDomain) conditions.push(and(eq(ssoMappings.kind, "email_domain"), eq(ssoMappings.value, claims.emailDomain)));
  if (claims.groups.length > 0) conditions.push(and(eq(ssoMappings.kind, "group"), inArray(ssoMappings.value, claims.groups)));
  if (conditions.length === 0) return [];
  return db
    .select({ orgId: ssoMappings.orgId, kind: ssoMappings.kind, value: ssoMappings.value, role: ssoMappings.role })
    .from(ssoMappings)
    .where(or(...conditions));
}

/** Adds the membership unless the user already has one: a role set by an admin stays. */
export async function insertMembershipIfMissing(
  db: DbOrTx,
  scope: TenantScope,
  input: { userId: string; role: TRole },
): Promise<boolean> {
  const rows = await db
    .insert(memberships)
    .values({ orgId: scope.orgId, userId: input.userId, role: input.role })
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  return rows.length > 0;
}

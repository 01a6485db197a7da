import type { DbHandle } from "@autoglm/db/client";
import {
  findSsoMappingsForClaims,
  findUserByEmail,
  findUserByOidcIdentity,
  insertMembershipIfMissing,
  insertOidcUser,
  ROLE_RANK,
  setUserOidcIdentity,
  withTransaction,
  writeAudit,
  type DbOrTx,
  type TRole,
  type TUserRow,
} from "@autoglm/db/queries";
import { AppError } from "../errors.js";
import type { TAuthenticatedUser } from "./sessions.js";

/** What the host took from an ID token that openid-client has verified (signature, iss, aud, nonce). */
export interface TOidcClaims {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** The configured groups claim (AUTH_OIDC_GROUPS_CLAIM), strings only. */
  groups: string[];
}

function refused(userMessage: string): AppError {
  return new AppError("SSO_REFUSED", { userMessage });
}

/** The account this identity signs in as; created on its first sign-in. */
async function resolveOidcUser(tx: DbOrTx, claims: TOidcClaims, email: string): Promise<TUserRow> {
  const identity = { issuer: claims.issuer, subject: claims.subject };
  const known = await findUserByOidcIdentity(tx, identity);
  if (known) return known;
  const byEmail = await findUserByEmail(tx, email);
  if (byEmail) {
    // Linking by email hands the account to whoever the provider says owns the address:
    // only a verified address may, and never one already bound to another identity.
    if (!claims.emailVerified || byEmail.oidcSubject !== null) {
      throw refused("An account with this email already exists and cannot be linked to this sign-in.");
    }
    await setUserOidcIdentity(tx, byEmail.id, identity);
    await writeAudit(tx, {
      orgId: null,
      actor: { userId: byEmail.id },
      action: "user.sso_link",
      targetType: "user",
      targetId: byEmail.id,
    });
    return byEmail;
  }
  const name = (claims.name ?? "").trim().slice(0, 200) || email.split("@")[0] || email;
  const created = await insertOidcUser(tx, { email, name, ...identity });
  if (!created) throw refused("This sign-in raced another one for the same account; try again.");
  await writeAudit(tx, {
    orgId: null,
    actor: { userId: created.id },
    action: "user.sso_signup",
    targetType: "user",
    targetId: created.id,
  });
  return created;
}

/** Adds the memberships the teams' SSO mappings give these claims; the highest role per team wins. */
async function grantMappedMemberships(tx: DbOrTx, userId: string, claims: TOidcClaims, email: string): Promise<void> {
  // An unverified address proves nothing about its domain.
  const emailDomain = claims.emailVerified ? (email.split("@")[1] ?? null) : null;
  const matches = await findSsoMappingsForClaims(tx, { emailDomain, groups: claims.groups });
  const best = new Map<string, { role: TRole; via: string }>();
  for (const m of matches) {
    const seen = best.get(m.orgId);
    if (!seen || ROLE_RANK[m.role] > ROLE_RANK[seen.role]) best.set(m.orgId, { role: m.role, via: `${m.kind}:${m.value}` });
  }
  for (const [orgId, { role, via }] of best) {
    if (!(await insertMembershipIfMissing(tx, { orgId }, { userId, role }))) continue;
    await writeAudit(tx, {
      orgId,
      actor: { userId },
      action: "membership.sso_grant",
      targetType: "membership",
      targetId: userId,
      details: { role, via },
    });
  }
}

/**
 * An OIDC sign-in: finds or creates the user by (issuer, subject) and adds the team
 * memberships the SSO mappings give. Existing memberships keep the role an admin set.
 */
export async function signInWithOidc(handle: DbHandle, claims: TOidcClaims): Promise<TAuthenticatedUser> {
  const email = (claims.email ?? "").trim().toLowerCase();
  if (!claims.subject || !/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320) {
    throw refused("The identity provider sent no usable email address; ask your administrator to release the email claim.");
  }
  const user = await withTransaction(handle.db, async (tx) => {
    const row = await resolveOidcUser(tx, claims, email);
    if (row.disabledAt !== null) throw refused("This account is deactivated.");
    await grantMappedMemberships(tx, row.id, claims, email);
    return row;
  });
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}

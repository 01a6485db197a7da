/**
 * Single sign-on: a team's email-domain and group mappings (org.ssoMappings /
 * org.setSsoMappings, admin-only, audited, scoped) and the OIDC sign-in that applies them
 * (signInWithOidc: first sign-in creates a user without a password). The browser flow through
 * a real OpenID provider is tests/e2e/src/oidc.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findUserByEmail, listOrgsOfUser } from "@autoglm/db/queries";
import { authenticateCredentials, createServerCaller, signInWithOidc, type TOidcClaims } from "../src/index.js";
import { makeWorld, outcome, PW, rowCounts, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const ISSUER = "https://idp.example.test";
const claims = (over: Partial<TOidcClaims>): TOidcClaims => ({
  issuer: ISSUER,
  subject: "sub-1",
  email: "ada@acme.test",
  emailVerified: true,
  name: "Ada",
  groups: [],
  ...over,
});

async function rolesOf(email: string): Promise<Record<string, string>> {
  const user = await findUserByEmail(w.db.db, email);
  if (!user) return {};
  return Object.fromEntries((await listOrgsOfUser(w.db.db, user.id)).map((o) => [o.id, o.role]));
}

describe("org.setSsoMappings / org.ssoMappings", () => {
  it("an admin sets the mappings; they read back normalised, scoped to the team, and audited", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    await owner.org.setSsoMappings({
      mappings: [
        { kind: "email_domain", value: "@ACME.test", role: "member" },
        { kind: "group", value: "ml-admins", role: "admin" },
      ],
    });
    expect(await owner.org.ssoMappings()).toEqual([
      { kind: "email_domain", value: "acme.test", role: "member" },
      { kind: "group", value: "ml-admins", role: "admin" },
    ]);
    expect(await (await w.as(w.B.ownerId, w.B.orgId)).org.ssoMappings()).toEqual([]);
    const [audit] = await w.db.query<{ action: string; details: { to: unknown[] } }>(
      `select action, details from audit_log where org_id = $1 and action = 'sso_mappings.update' order by id desc limit 1`,
      [w.A.orgId],
    );
    expect(audit?.details.to).toHaveLength(2);
  });

  it("members and viewers are refused, and a member of another team cannot set this team's mappings", async () => {
    for (const userId of [w.memberA.userId, w.viewerA.userId]) {
      const c = await w.as(userId, w.A.orgId);
      expect(await outcome(() => c.org.setSsoMappings({ mappings: [] }))).toMatchObject({ ok: false, appCode: "ROLE_TOO_LOW" });
    }
    const ownerB = await w.as(w.B.ownerId, w.A.orgId);
    expect(await outcome(() => ownerB.org.setSsoMappings({ mappings: [] }))).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(await (await w.as(w.A.ownerId, w.A.orgId)).org.ssoMappings()).toHaveLength(2);
  });

  it("bad input gets a precise error and changes nothing", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const before = await rowCounts(w.db);
    const bad: [unknown, RegExp][] = [
      [[{ kind: "email_domain", value: "not a domain", role: "member" }], /must be a domain like example.com/],
      [[{ kind: "group", value: "g", role: "owner" }], /role/],
      [
        [
          { kind: "group", value: "g", role: "member" },
          { kind: "group", value: "g", role: "viewer" },
        ],
        /must not map the same domain or group twice/,
      ],
      [Array.from({ length: 101 }, (_, i) => ({ kind: "group", value: `g${i}`, role: "viewer" })), /at most 100/],
    ];
    for (const [mappings, message] of bad) {
      const r = await outcome(() => owner.org.setSsoMappings({ mappings } as never));
      expect(r).toMatchObject({ ok: false, code: "BAD_REQUEST" });
      expect((r as { message: string }).message).toMatch(message);
    }
    expect(await rowCounts(w.db)).toEqual(before);
    expect(await owner.org.ssoMappings()).toHaveLength(2);
  });
});

describe("signInWithOidc", () => {
  it("the first sign-in creates a user without a password and adds the mapped team with the highest mapped role", async () => {
    const user = await signInWithOidc(w.db, claims({ groups: ["ml-admins", "other"] }));
    expect(user.email).toBe("ada@acme.test");
    expect(await rolesOf("ada@acme.test")).toEqual({ [w.A.orgId]: "admin" });
    const [row] = await w.db.query<{ password_hash: string | null }>(`select password_hash from users where id = $1`, [user.id]);
    expect(row?.password_hash).toBeNull();
    // The same identity signs in as the same user; an admin's later change of role stays.
    await (await w.as(w.A.ownerId, w.A.orgId)).org.updateMember({ userId: user.id, role: "viewer" });
    expect((await signInWithOidc(w.db, claims({ groups: ["ml-admins"] }))).id).toBe(user.id);
    expect(await rolesOf("ada@acme.test")).toEqual({ [w.A.orgId]: "viewer" });
  });

  it("password sign-in and password change of an SSO user are refused with a clear message", async () => {
    const r = await outcome(() => authenticateCredentials(w.db, { email: "ada@acme.test", password: PW, ip: "10.0.0.9" }));
    expect(r).toMatchObject({ ok: false, appCode: "SSO_ACCOUNT" });
    expect((r as { message: string }).message).toMatch(/single sign-on and has no password/);
    const user = await findUserByEmail(w.db.db, "ada@acme.test");
    const self = await w.as(user!.id);
    const change = await outcome(() => self.auth.changePassword({ currentPassword: "x", newPassword: "a-new-password-1" }));
    expect(change).toMatchObject({ ok: false, appCode: "SSO_ACCOUNT" });
  });

  it("an unverified email maps no domain, and cannot take over an existing account", async () => {
    await signInWithOidc(w.db, claims({ subject: "sub-2", email: "eve@acme.test", emailVerified: false }));
    expect(await rolesOf("eve@acme.test")).toEqual({});
    const before = await rowCounts(w.db);
    const takeover = await outcome(() =>
      signInWithOidc(w.db, claims({ subject: "sub-3", email: w.A.ownerEmail, emailVerified: false })),
    );
    expect(takeover).toMatchObject({ ok: false, appCode: "SSO_REFUSED" });
    expect(await rowCounts(w.db)).toEqual(before);
    // A provider-verified address links the existing account, which keeps its password.
    const linked = await signInWithOidc(w.db, claims({ subject: "sub-3", email: w.A.ownerEmail }));
    expect(linked.id).toBe(w.A.ownerId);
    expect((await authenticateCredentials(w.db, { email: w.A.ownerEmail, password: PW, ip: "10.0.0.8" })).id).toBe(w.A.ownerId);
    // ...and is then bound: another identity with the same address is refused.
    expect(await outcome(() => signInWithOidc(w.db, claims({ subject: "sub-4", email: w.A.ownerEmail })))).toMatchObject({
      ok: false,
      appCode: "SSO_REFUSED",
    });
  });

  it("a sign-in without an email is refused and creates nothing", async () => {
    const before = await rowCounts(w.db);
    const r = await outcome(() => signInWithOidc(w.db, claims({ subject: "sub-5", email: null })));
    expect(r).toMatchObject({ ok: false, appCode: "SSO_REFUSED" });
    expect(await rowCounts(w.db)).toEqual(before);
  });
});

describe("auth.signUp where password sign-in is off", () => {
  it("is refused with a message that points to single sign-on, and creates nothing", async () => {
    const anon = await createServerCaller({ ...w.deps, options: { ...w.deps.options, passwordSignUp: false } }, {});
    const before = await rowCounts(w.db);
    const r = await outcome(() => anon.auth.signUp({ email: "new@acme.test", password: "a-long-password", name: "New" }));
    expect(r).toMatchObject({ ok: false, appCode: "FORBIDDEN" });
    expect(r.ok ? "" : r.message).toContain("sign in with single sign-on");
    expect(await rowCounts(w.db)).toEqual(before);
    expect(await findUserByEmail(w.db.db, "new@acme.test")).toBeFalsy();
  });
});

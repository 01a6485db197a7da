/**
 * S4 — session revocation: sign-out ends that one session, sign-out-everywhere, password
 * change and deactivation end them all (the replayed JWT claims are refused) — and the
 * sign-in check agrees.
 * S6 — sign-in and sign-up limits, as sliding windows over `auth_attempts` (shared by
 * replicas): attempt 11 on one account from 10 addresses and attempt 31 from one address over
 * many accounts are refused, while the real user with the right password from a client that
 * has not been failing still gets in. Windows are options; the clock is shifted, not waited on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { findUserByEmail, listOrgsOfUser } from "@autoglm/db/queries";
import {
  authenticateCredentials,
  checkSignInLimit,
  createMemoryEvents,
  createServerCaller,
  endUserSession,
  handleTrpcFetch,
  startUserSession,
  verifySessionUser,
  type TApiOptions,
} from "../src/index.js";
import { outcome } from "./fixture.js";

let db: TestDb;
const events = createMemoryEvents();
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function signUp(email: string, password = "first-password-1") {
  const anon = await createServerCaller({ db, events }, {});
  await anon.auth.signUp({ email, password, name: email.split("@")[0]! });
  const user = (await findUserByEmail(db.db, email))!;
  return { userId: user.id, orgId: (await listOrgsOfUser(db.db, user.id))[0]!.id };
}

/** A sign-in as the web app does it: credentials, then a session row whose id goes in the JWT. */
async function signIn(email: string, password = "first-password-1", ip = "10.0.0.1") {
  const user = await authenticateCredentials(db, { email, password, ip });
  const { sessionId } = await startUserSession(db, { userId: user.id });
  return { userId: user.id, sessionVersion: user.sessionVersion, sessionId };
}

type Claims = Awaited<ReturnType<typeof signIn>>;
const session = (claims: Claims, orgId?: string) =>
  createServerCaller({ db, events }, { session: claims, ...(orgId ? { orgId } : {}) });

describe("S4 session revocation", () => {
  it("sign-out ends that session: its replayed claims get SESSION_ENDED; the user's other session keeps working", async () => {
    const u = await signUp("s4out@x.test");
    const laptop = await signIn("s4out@x.test");
    const phone = await signIn("s4out@x.test");
    expect((await (await session(laptop)).auth.me()).user.id).toBe(u.userId);
    expect(await endUserSession(db, { userId: laptop.userId, sessionId: laptop.sessionId })).toBe(true);
    expect(await outcome(async () => (await session(laptop)).auth.me())).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
      appCode: "SESSION_ENDED",
    });
    expect(await outcome(async () => (await session(laptop, u.orgId)).project.create({ name: "x" }))).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
    });
    expect(await verifySessionUser(db, laptop)).toBeNull();
    expect((await (await session(phone)).auth.me()).user.id).toBe(u.userId);
    // Ending it twice, or with another user's id, changes nothing.
    expect(await endUserSession(db, { userId: laptop.userId, sessionId: laptop.sessionId })).toBe(false);
    const other = await signUp("s4other@x.test");
    expect(await endUserSession(db, { userId: other.userId, sessionId: phone.sessionId })).toBe(false);
    expect(await verifySessionUser(db, phone)).not.toBeNull();
  });

  it("a session is refused with another user's session id, a malformed one, or past its expiry", async () => {
    await signUp("s4exp@x.test");
    const mine = await signIn("s4exp@x.test");
    const theirs = await signIn("s4other@x.test");
    expect(await verifySessionUser(db, { ...mine, sessionId: theirs.sessionId })).toBeNull();
    expect(await verifySessionUser(db, { ...mine, sessionId: "not-a-uuid" })).toBeNull();
    expect(await verifySessionUser(db, mine, { now: new Date(Date.now() + 31 * 86_400_000) })).toBeNull();
    expect(await verifySessionUser(db, mine)).not.toBeNull();
  });

  it("sign out everywhere: the captured session is refused, a fresh sign-in works", async () => {
    const u = await signUp("s4a@x.test");
    const old = await signIn("s4a@x.test");
    expect((await (await session(old)).auth.me()).user.id).toBe(u.userId);
    await (await session(old)).auth.signOutEverywhere();
    const replay = await outcome(async () => (await session(old)).auth.me());
    expect(replay).toMatchObject({ ok: false, code: "UNAUTHORIZED", appCode: "SESSION_ENDED" });
    const replayWrite = await outcome(async () => (await session(old, u.orgId)).project.create({ name: "x" }));
    expect(replayWrite).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    const fresh = await signIn("s4a@x.test");
    expect(fresh.sessionVersion).toBe(old.sessionVersion + 1);
    expect(await verifySessionUser(db, fresh)).not.toBeNull();
  });

  it("password change ends every other session; the old password stops working", async () => {
    await signUp("s4b@x.test");
    const other = await signIn("s4b@x.test", "first-password-1", "10.0.0.2");
    const r = await (
      await session(other)
    ).auth.changePassword({
      currentPassword: "first-password-1",
      newPassword: "second-password-2",
    });
    expect(r.sessionVersion).toBe(other.sessionVersion + 1);
    expect(await verifySessionUser(db, other)).toBeNull();
    expect(await outcome(async () => (await session(other)).org.list())).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    await expect(
      authenticateCredentials(db, { email: "s4b@x.test", password: "first-password-1", ip: "10.0.0.2" }),
    ).rejects.toMatchObject({
      appCode: "INVALID_CREDENTIALS",
    });
    const again = await signIn("s4b@x.test", "second-password-2", "10.0.0.2");
    expect(again.sessionVersion).toBe(r.sessionVersion);
  });

  it("a wrong current password changes nothing", async () => {
    await signUp("s4c@x.test");
    const s = await signIn("s4c@x.test");
    const r = await outcome(async () =>
      (await session(s)).auth.changePassword({ currentPassword: "nope-nope-nope", newPassword: "second-password-2" }),
    );
    expect(r).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await verifySessionUser(db, s)).not.toBeNull();
  });

  it("deactivation ends sessions and blocks sign-in (same sentence as a wrong password)", async () => {
    await signUp("s4d@x.test");
    const s = await signIn("s4d@x.test", "first-password-1", "10.0.0.3");
    await (await session(s)).auth.deactivate({ password: "first-password-1" });
    expect(await outcome(async () => (await session(s)).auth.me())).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await outcome(async () => (await session({ ...s, sessionVersion: s.sessionVersion + 1 })).auth.me())).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
    });
    const e = await outcome(() =>
      authenticateCredentials(db, { email: "s4d@x.test", password: "first-password-1", ip: "10.0.0.3" }),
    );
    expect(e).toMatchObject({ ok: false, appCode: "INVALID_CREDENTIALS", message: "Wrong email or password." });
  });
});

describe("S6 sign-in limits", () => {
  const windowMs = 15 * 60_000;
  const limits = { windowMs };
  // A clock just before a 15-minute boundary: fixed windows would reset a second later.
  const t0 = new Date(Math.ceil(Date.now() / windowMs) * windowMs + windowMs - 120_000);
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const attempt = (
    email: string,
    password: string,
    ip: string,
    now: Date,
    extra: Partial<typeof limits & { perAccountHard: number }> = {},
  ) => outcome(() => authenticateCredentials(db, { email, password, ip }, { limits: { ...limits, ...extra }, now }));

  it("(a) 100 wrong passwords over 10 addresses: 429 from attempt 11; the real user from their own client still gets in", async () => {
    await signUp("victim@x.test", "victim-password-1");
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await attempt("victim@x.test", `guess-${i}-xxxx`, `192.0.2.${i % 10}`, at(i * 100));
      codes.push(r.ok ? "OK" : String(r.appCode));
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill("INVALID_CREDENTIALS"));
    expect(codes.slice(10)).toEqual(Array(90).fill("RATE_LIMITED"));
    // Even the right password from an attacking address is refused (no oracle for it).
    expect(await attempt("victim@x.test", "victim-password-1", "192.0.2.3", at(10_001))).toMatchObject({
      ok: false,
      code: "TOO_MANY_REQUESTS",
    });
    // The read-only twin the server asks before next-auth runs agrees, case and spaces aside.
    const check = await checkSignInLimit(db, { email: " Victim@X.test ", ip: "192.0.2.4" }, { limits, now: at(10_002) });
    expect(check.limited).toBe(true);
    expect(check.retryAfterSeconds).toBeGreaterThan(windowMs / 1000 - 60);
    // The real user, from a client that has not been failing, is not locked out.
    expect(
      (await checkSignInLimit(db, { email: "victim@x.test", ip: "203.0.113.50" }, { limits, now: at(10_003) })).limited,
    ).toBe(false);
    expect(await attempt("victim@x.test", "victim-password-1", "203.0.113.50", at(10_004))).toMatchObject({ ok: true });
    // A fresh attacking address buys exactly one guess.
    expect(await attempt("victim@x.test", "fresh-guess-1", "198.18.0.1", at(10_005))).toMatchObject({
      appCode: "INVALID_CREDENTIALS",
    });
    expect(await attempt("victim@x.test", "fresh-guess-2", "198.18.0.1", at(10_006))).toMatchObject({ appCode: "RATE_LIMITED" });
    // Once the failures slide out of the window, the attackers' addresses may try again.
    expect(await attempt("victim@x.test", "victim-password-1", "192.0.2.3", at(10_001 + windowMs))).toMatchObject({ ok: true });
  });

  it("a victim signs in while an attacker hammers the account from one address", async () => {
    await signUp("hammered@x.test", "hammered-pass-1");
    for (let i = 0; i < 40; i++) {
      const r = await attempt("hammered@x.test", `wrong-${i}-xxxx`, "198.51.100.66", at(i));
      expect(r, `attacker attempt ${i + 1}`).toMatchObject({ appCode: i < 10 ? "INVALID_CREDENTIALS" : "RATE_LIMITED" });
      if (i % 10 === 5) {
        expect(await attempt("hammered@x.test", "hammered-pass-1", "203.0.113.9", at(i))).toMatchObject({ ok: true });
      }
    }
    // The victim's own typo does not lock them out of the next, correct, try.
    expect(await attempt("hammered@x.test", "typo-typo-typo", "203.0.113.10", at(50))).toMatchObject({
      appCode: "INVALID_CREDENTIALS",
    });
    expect(await attempt("hammered@x.test", "hammered-pass-1", "203.0.113.11", at(51))).toMatchObject({ ok: true });
  });

  it("an account under attack from more fresh addresses than its hard budget refuses everyone until the window slides", async () => {
    await signUp("botnet@x.test", "botnet-pass-123");
    const hard = { perAccountHard: 25 };
    for (let i = 0; i < 25; i++) {
      const r = await attempt("botnet@x.test", `bot-${i}-xxxx`, `100.64.0.${i}`, at(i), hard);
      // Each fresh address gets its one guess, up to the account's hard budget.
      expect(r, `bot ${i + 1}`).toMatchObject({ appCode: "INVALID_CREDENTIALS" });
    }
    expect(await attempt("botnet@x.test", "bot-x-xxxx", "100.64.1.1", at(30), hard)).toMatchObject({ appCode: "RATE_LIMITED" });
    expect(await attempt("botnet@x.test", "botnet-pass-123", "203.0.113.77", at(31), hard)).toMatchObject({
      appCode: "RATE_LIMITED",
    });
    expect(await attempt("botnet@x.test", "botnet-pass-123", "203.0.113.77", at(windowMs + 30), hard)).toMatchObject({
      ok: true,
    });
  });

  it("(b) 30 failures from one address over 30 accounts: attempt 31 is refused; other addresses are not", async () => {
    const ip = "198.51.100.7";
    for (let i = 0; i < 30; i++) {
      const r = await attempt(`nobody${i}@x.test`, "whatever-pass", ip, at(i));
      expect(r, `attempt ${i + 1}`).toMatchObject({ ok: false, appCode: "INVALID_CREDENTIALS" });
    }
    expect(await attempt("s4c@x.test", "first-password-1", ip, at(40))).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
    expect(await attempt("s4c@x.test", "first-password-1", "198.51.100.8", at(41))).toMatchObject({ ok: true });
    expect(await attempt("s4c@x.test", "first-password-1", ip, at(windowMs + 30))).toMatchObject({ ok: true });
  });

  it("the window slides: failures just before a 15-minute boundary still count just after it", async () => {
    await signUp("edge@x.test", "edge-password-1");
    const ip = "198.51.100.20";
    const first = at(110_000);
    for (let i = 0; i < 10; i++) await attempt("edge@x.test", `edge-${i}-xxxx`, ip, new Date(first.getTime() + i * 500));
    // t0 + 120 s is a multiple of 15 min: a fixed window would start afresh here.
    const boundary = at(120_000);
    expect(boundary.getTime() % windowMs).toBe(0);
    const after = await checkSignInLimit(db, { email: "edge@x.test", ip }, { limits, now: new Date(boundary.getTime() + 1_000) });
    expect(after.limited).toBe(true);
    expect(after.retryAfterSeconds).toBeGreaterThanOrEqual(Math.floor((windowMs - 11_000) / 1000));
    expect(await attempt("edge@x.test", "edge-password-1", ip, new Date(boundary.getTime() + 1_000))).toMatchObject({
      appCode: "RATE_LIMITED",
    });
    // The client may try again once the oldest of those failures is a window old.
    expect(await attempt("edge@x.test", "edge-password-1", ip, new Date(first.getTime() + windowMs + 1))).toMatchObject({
      ok: true,
    });
  });

  it("a burst of parallel wrong passwords gets no more than the limit through", async () => {
    await signUp("burst@x.test", "burst-password-1");
    const now = at(200_000);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => attempt("burst@x.test", `burst-${i}-xxxx`, "198.51.100.30", now)),
    );
    const guessed = results.filter((r) => !r.ok && r.appCode === "INVALID_CREDENTIALS").length;
    // Each attempt is logged before it is judged, so in-flight ones count: a read-then-write
    // check would have let all 25 guesses through.
    expect(guessed).toBeLessThanOrEqual(10);
    expect(results.every((r) => !r.ok && (r.appCode === "INVALID_CREDENTIALS" || r.appCode === "RATE_LIMITED"))).toBe(true);
  });

  it("the log lives in auth_attempts (shared by replicas), keyed by hashes: no email or address stored", async () => {
    const rows = await db.query<{ account_key: string | null; client_key: string }>(
      "select account_key, client_key from auth_attempts",
    );
    expect(rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/@|192\.0\.2|198\.51/);
  });
});

describe("S6 sign-up", () => {
  const ORIGIN = "http://app.test";
  const options: Partial<TApiOptions> = { allowedOrigins: [ORIGIN], signUpLimit: { limit: 3, windowMs: 3600_000 } };
  async function signUpOverHttp(input: Record<string, unknown>, ip: string) {
    const req = new Request(`${ORIGIN}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: JSON.stringify(input),
    });
    const res = await handleTrpcFetch(req, { db, events, options, getClientIp: () => ip });
    return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { data?: { appCode?: string } } } };
  }

  it("answers the same for a new and a taken email, and changes nothing of the existing account", async () => {
    await signUp("taken@x.test", "taken-password-1");
    const before = await db.query<{ users: number; orgs: number }>(
      "select (select count(*)::int from users) as users, (select count(*)::int from organizations) as orgs",
    );
    const taken = await signUpOverHttp({ email: "Taken@x.test", password: "attacker-pass-1", name: "Mallory" }, "203.0.113.200");
    const after = await db.query<{ users: number; orgs: number }>(
      "select (select count(*)::int from users) as users, (select count(*)::int from organizations) as orgs",
    );
    const fresh = await signUpOverHttp(
      { email: "fresh-one@x.test", password: "fresh-password-1", name: "Fresh" },
      "203.0.113.201",
    );
    expect(taken).toEqual(fresh);
    expect(taken).toEqual({ status: 200, body: { result: { data: { ok: true } } } });
    expect(after).toEqual(before);
    await expect(
      authenticateCredentials(db, { email: "taken@x.test", password: "taken-password-1", ip: "203.0.113.202" }),
    ).resolves.toMatchObject({
      email: "taken@x.test",
    });
    await expect(
      authenticateCredentials(db, { email: "taken@x.test", password: "attacker-pass-1", ip: "203.0.113.203" }),
    ).rejects.toMatchObject({
      appCode: "INVALID_CREDENTIALS",
    });
    await expect(
      authenticateCredentials(db, { email: "fresh-one@x.test", password: "fresh-password-1", ip: "203.0.113.201" }),
    ).resolves.toMatchObject({
      email: "fresh-one@x.test",
    });
  });

  it("is limited per client address: the 4th sign-up in the window answers 429 and creates nothing", async () => {
    const ip = "203.0.113.210";
    for (let i = 0; i < 3; i++) {
      expect((await signUpOverHttp({ email: `many-${i}@x.test`, password: "many-password-1", name: "M" }, ip)).status).toBe(200);
    }
    const fourth = await signUpOverHttp({ email: "many-3@x.test", password: "many-password-1", name: "M" }, ip);
    expect(fourth.status).toBe(429);
    expect(fourth.body.error?.data?.appCode).toBe("RATE_LIMITED");
    expect(await findUserByEmail(db.db, "many-3@x.test")).toBeNull();
    expect(
      (await signUpOverHttp({ email: "many-3@x.test", password: "many-password-1", name: "M" }, "203.0.113.211")).status,
    ).toBe(200);
  });
});

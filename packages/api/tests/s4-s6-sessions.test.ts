/**
 * S4 — session revocation: sign-out-everywhere, password change and deactivation end the
 * old sessions (the replayed JWT claims are refused) — and the sign-in check agrees.
 * S6 — sign-in rate limits shared through `rate_limits`: attempt 11 on one account from 10
 * IPs and attempt 31 from one IP over many accounts are refused; after the window the real
 * user signs in. The window is an option; the clock is shifted instead of waited on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { authenticateCredentials, checkSignInLimit, createMemoryEvents, createServerCaller, verifySessionUser } from "../src/index.js";
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
  return anon.auth.signUp({ email, password, name: email.split("@")[0]! });
}

const session = (userId: string, sessionVersion: number, orgId?: string) =>
  createServerCaller({ db, events }, { session: { userId, sessionVersion }, ...(orgId ? { orgId } : {}) });

describe("S4 session revocation", () => {
  it("sign out everywhere: the captured session is refused, a fresh sign-in works", async () => {
    const u = await signUp("s4a@x.test");
    const old = await authenticateCredentials(db, { email: "s4a@x.test", password: "first-password-1", ip: "10.0.0.1" });
    expect((await (await session(u.userId, old.sessionVersion)).auth.me()).user.id).toBe(u.userId);
    await (await session(u.userId, old.sessionVersion)).auth.signOutEverywhere();
    const replay = await outcome(async () => (await session(u.userId, old.sessionVersion)).auth.me());
    expect(replay).toMatchObject({ ok: false, code: "UNAUTHORIZED", appCode: "SESSION_ENDED" });
    const replayWrite = await outcome(async () => (await session(u.userId, old.sessionVersion, u.orgId)).project.create({ name: "x" }));
    expect(replayWrite).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    const fresh = await authenticateCredentials(db, { email: "s4a@x.test", password: "first-password-1", ip: "10.0.0.1" });
    expect(fresh.sessionVersion).toBe(old.sessionVersion + 1);
    expect(await verifySessionUser(db, { userId: u.userId, sessionVersion: fresh.sessionVersion })).not.toBeNull();
  });

  it("password change ends every other session; the old password stops working", async () => {
    const u = await signUp("s4b@x.test");
    const other = await authenticateCredentials(db, { email: "s4b@x.test", password: "first-password-1", ip: "10.0.0.2" });
    const r = await (await session(u.userId, other.sessionVersion)).auth.changePassword({
      currentPassword: "first-password-1",
      newPassword: "second-password-2",
    });
    expect(r.sessionVersion).toBe(other.sessionVersion + 1);
    expect(await verifySessionUser(db, { userId: u.userId, sessionVersion: other.sessionVersion })).toBeNull();
    expect(await outcome(async () => (await session(u.userId, other.sessionVersion)).org.list())).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    await expect(authenticateCredentials(db, { email: "s4b@x.test", password: "first-password-1", ip: "10.0.0.2" })).rejects.toMatchObject({
      appCode: "INVALID_CREDENTIALS",
    });
    const again = await authenticateCredentials(db, { email: "s4b@x.test", password: "second-password-2", ip: "10.0.0.2" });
    expect(again.sessionVersion).toBe(r.sessionVersion);
  });

  it("a wrong current password changes nothing", async () => {
    const u = await signUp("s4c@x.test");
    const r = await outcome(async () =>
      (await session(u.userId, 0)).auth.changePassword({ currentPassword: "nope-nope-nope", newPassword: "second-password-2" }),
    );
    expect(r).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await verifySessionUser(db, { userId: u.userId, sessionVersion: 0 })).not.toBeNull();
  });

  it("deactivation ends sessions and blocks sign-in (same sentence as a wrong password)", async () => {
    const u = await signUp("s4d@x.test");
    await (await session(u.userId, 0)).auth.deactivate({ password: "first-password-1" });
    expect(await outcome(async () => (await session(u.userId, 0)).auth.me())).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await outcome(async () => (await session(u.userId, 1)).auth.me())).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    const e = await outcome(() => authenticateCredentials(db, { email: "s4d@x.test", password: "first-password-1", ip: "10.0.0.3" }));
    expect(e).toMatchObject({ ok: false, appCode: "INVALID_CREDENTIALS", message: "Wrong email or password." });
  });
});

describe("S6 sign-in rate limits", () => {
  const windowMs = 60_000;
  const limits = { windowMs };
  // A clock inside one window (well before its end) so the test never straddles a boundary.
  const t0 = new Date(Math.floor(Date.now() / windowMs) * windowMs + 1_000);
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it("(a) 10 failures on one account from 10 IPs: attempt 11 is RATE_LIMITED, even with the right password; after the window it works", async () => {
    await signUp("victim@x.test", "victim-password-1");
    for (let i = 0; i < 10; i++) {
      const r = await outcome(() =>
        authenticateCredentials(db, { email: "victim@x.test", password: `guess-${i}-xxxx`, ip: `192.0.2.${i}` }, { limits, now: at(i) }),
      );
      expect(r, `attempt ${i + 1}`).toMatchObject({ ok: false, appCode: "INVALID_CREDENTIALS" });
    }
    const eleventh = await outcome(() =>
      authenticateCredentials(db, { email: "victim@x.test", password: "victim-password-1", ip: "192.0.2.99" }, { limits, now: at(20) }),
    );
    expect(eleventh).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS", appCode: "RATE_LIMITED" });
    // The read-only twin for hosts that answer 429 before next-auth runs agrees.
    const check = await checkSignInLimit(db, { email: "Victim@X.test ", ip: "203.0.113.1" }, { limits, now: at(21) });
    expect(check.limited).toBe(true);
    expect(check.retryAfterSeconds).toBeGreaterThan(0);
    expect((await checkSignInLimit(db, { email: "other@x.test", ip: "203.0.113.1" }, { limits, now: at(21) })).limited).toBe(false);
    // Another account from those IPs is unaffected (10 < 30 per IP).
    await signUp("bystander@x.test", "bystander-pass-1");
    await expect(
      authenticateCredentials(db, { email: "bystander@x.test", password: "bystander-pass-1", ip: "192.0.2.1" }, { limits, now: at(30) }),
    ).resolves.toMatchObject({ email: "bystander@x.test" });
    // No lockout of the real user past the window.
    const later = await authenticateCredentials(
      db,
      { email: "victim@x.test", password: "victim-password-1", ip: "192.0.2.99" },
      { limits, now: at(windowMs) },
    );
    expect(later.email).toBe("victim@x.test");
  });

  it("(b) 30 failures from one IP over 30 accounts: attempt 31 is RATE_LIMITED; other IPs are not", async () => {
    const ip = "198.51.100.7";
    for (let i = 0; i < 30; i++) {
      const r = await outcome(() =>
        authenticateCredentials(db, { email: `nobody${i}@x.test`, password: "whatever-pass", ip }, { limits, now: at(i) }),
      );
      expect(r, `attempt ${i + 1}`).toMatchObject({ ok: false, appCode: "INVALID_CREDENTIALS" });
    }
    const thirtyFirst = await outcome(() =>
      authenticateCredentials(db, { email: "s4c@x.test", password: "first-password-1", ip }, { limits, now: at(40) }),
    );
    expect(thirtyFirst).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
    await expect(
      authenticateCredentials(db, { email: "s4c@x.test", password: "first-password-1", ip: "198.51.100.8" }, { limits, now: at(41) }),
    ).resolves.toMatchObject({ email: "s4c@x.test" });
    await expect(
      authenticateCredentials(db, { email: "s4c@x.test", password: "first-password-1", ip }, { limits, now: at(windowMs) }),
    ).resolves.toMatchObject({ email: "s4c@x.test" });
  });

  it("the counters live in the rate_limits table (shared by replicas), keyed by hashes, not emails", async () => {
    const rows = await db.query<{ key: string }>("select key from rate_limits");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.key.includes("@"))).toBe(false);
  });
});

/**
 * S4 over real HTTP against the whole server (Next + next-auth): a normal sign-out ends that
 * session server-side: its copied cookie gets 401, cannot open a socket, and its open socket
 * closes; the user's other sessions stay. S6: without TRUSTED_PROXIES a client-sent
 * X-Forwarded-For is ignored.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectSocket, waitConnect } from "./helpers.js";
import {
  ClientAt,
  newAccount,
  PASSWORD,
  signInStatuses,
  startPlatform,
  stopPlatform,
  wrong,
  type Platform,
} from "./auth-helpers.js";

describe("without a trusted proxy", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ TRUSTED_PROXIES: "" });
  }, 120_000);
  afterAll(() => stopPlatform(p));

  it("sign-out ends the session: the copied cookie gets 401, opens no socket, and its open socket closes", async () => {
    const { browser, email } = await newAccount(p.server.url, "signout");
    const copied = browser.cookieHeader();
    const other = new ClientAt(p.server.url);
    expect((await other.signIn(email, PASSWORD)).status).toBe(200);
    const live = connectSocket(p.server.url, { cookie: copied, origin: p.server.url });
    expect(await waitConnect(live)).toEqual({ ok: true });
    const closed = new Promise<string>((resolve) => live.once("disconnect", resolve));

    const out = await browser.signOut();
    expect(out.status).toBe(200);
    expect(browser.cookieHeader()).not.toMatch(/session-token/);

    const replay = await fetch(`${p.server.url}/api/trpc/auth.me`, { headers: { cookie: copied } });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { data: { appCode: string } } }).error.data.appCode).toBe("SESSION_ENDED");
    const socket = connectSocket(p.server.url, { cookie: copied, origin: p.server.url });
    expect(await waitConnect(socket)).toEqual({ ok: false, message: "unauthorized" });
    socket.close();
    const join = await live
      .timeout(2_000)
      .emitWithAck("room:join", { room: "org:00000000-0000-4000-8000-000000000000" })
      .catch(() => ({ ok: false }));
    expect(join.ok).toBe(false);
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("still open"), 2_000))])).not.toBe("still open");
    live.close();

    // The same user's other sign-in is untouched.
    expect((await other.trpc("auth.me", undefined, { query: true })).status).toBe(200);
  });

  it("a cookie without a session id (one that sign-out could not end) is refused", async () => {
    const { browser } = await newAccount(p.server.url, "legacy");
    const me = await browser.call<{ user: { id: string } }>("auth.me", undefined, { query: true });
    const secret = readFileSync(path.join(p.dataDir, "auth-secret"), "utf8").trim();
    const token = await encode({ secret, token: { userId: me.user.id, sessionVersion: 0, email: "x", name: "x" } });
    const res = await fetch(`${p.server.url}/api/trpc/auth.me`, { headers: { cookie: `next-auth.session-token=${token}` } });
    expect(res.status).toBe(401);
    const socket = connectSocket(p.server.url, { cookie: `next-auth.session-token=${token}`, origin: p.server.url });
    expect(await waitConnect(socket)).toEqual({ ok: false, message: "unauthorized" });
    socket.close();
  });

  it("ignores X-Forwarded-For: fresh forwarded addresses do not buy an attacker more guesses", async () => {
    const { email } = await newAccount(p.server.url, "xff-ignored");
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const attacker = new ClientAt(p.server.url, `203.0.113.${i + 1}`);
      statuses.push(...(await signInStatuses(attacker, email, wrong(1, `x${i}`))));
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});

/**
 * S3 — API tokens: hashed at rest, shown once, a typo rejected by its checksum with 0 DB
 * queries, revoked or expired → 401 on the next request, missing scope → 403, last_used_at
 * recorded (throttled), default expiry 30 d, max 365 d. Over real HTTP (standalone adapter).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@autoglm/db/client";
import { createContext, generateApiToken, isWellFormedApiToken, resolveApiOptions, resolveApiToken } from "../src/index.js";
import { AppError } from "../src/errors.js";
import { get, post, startServer } from "./http.js";
import { makeWorld, TABLES, type World } from "./fixture.js";

let w: World;
let srv: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  w = await makeWorld();
  srv = await startServer(w.deps);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await w?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe("S3 API tokens", () => {
  it("format: agl_ + 32 base62 + 6-char checksum; every single-character typo fails the checksum", () => {
    const { token, prefix } = generateApiToken();
    expect(token).toMatch(/^agl_[0-9A-Za-z]{38}$/);
    expect(prefix).toBe(token.slice(0, 8));
    expect(isWellFormedApiToken(token)).toBe(true);
    let caught = 0;
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let i = 4; i < token.length; i++) {
      const c = alphabet[(alphabet.indexOf(token[i]!) + 1 + (i % 61)) % 62]!;
      const typo = token.slice(0, i) + c + token.slice(i + 1);
      if (!isWellFormedApiToken(typo)) caught++;
    }
    expect(caught).toBe(token.length - 4);
  });

  it("a typo'd token is rejected with 0 database queries", async () => {
    const t = w.A.token;
    const typo = t.slice(0, 10) + (t[10] === "a" ? "b" : "a") + t.slice(11);
    let queries = 0;
    const trap = new Proxy({} as DbHandle, {
      get() {
        queries++;
        throw new Error("the database was touched");
      },
    });
    const r = await resolveApiToken(trap, typo, resolveApiOptions());
    expect(r).toBeInstanceOf(AppError);
    expect((r as AppError).code).toBe("UNAUTHORIZED");
    expect((r as AppError).userMessage).toMatch(/checksum/);
    const ctx = await createContext(
      { db: trap, events: w.deps.events },
      { header: (n) => (n === "authorization" ? `Bearer ${typo}` : null) },
    );
    expect(ctx.authError?.code).toBe("UNAUTHORIZED");
    expect(queries).toBe(0);
    // And over HTTP: 401 with a sentence, no stack.
    const res = await get(srv.url, "study.list", undefined, bearer(typo));
    expect(res.status).toBe(401);
    expect(res.body.error?.data.appCode).toBe("TOKEN_INVALID");
    expect(res.body.error?.data.stack).toBeUndefined();
  });

  it("is stored only as a hash: no table holds the token text; it is shown once", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const created = await owner.token.create({ name: "dump-check", scopes: ["read"] });
    for (const t of TABLES) {
      const [row] = await w.db.query<{ n: number }>(`select count(*)::int as n from ${t} x where x::text like $1`, [
        `%${created.token.slice(4)}%`,
      ]);
      expect(Number(row!.n), t).toBe(0);
    }
    const listed = (await owner.token.list()).find((t) => t.id === created.id)!;
    expect(listed).toBeDefined();
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(8));
    expect(listed.prefix).toBe(created.prefix);
    expect(Object.keys(listed)).not.toContain("token");
  });

  it("default expiry 30 days, max 365", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const t = await owner.token.create({ name: "d", scopes: ["read"] });
    const days = (Date.parse(t.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    await expect(owner.token.create({ name: "d", scopes: ["read"], expiresInDays: 366 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const max = await owner.token.create({ name: "d", scopes: ["read"], expiresInDays: 365 });
    expect((Date.parse(max.expiresAt) - Date.now()) / 86_400_000).toBeGreaterThan(364.9);
  });

  it("works over HTTP, records last_used_at (throttled), and is 401 at once after revoke", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const t = await owner.token.create({ name: "live", scopes: ["read", "write"] });
    const ok = await get(srv.url, "study.list", undefined, bearer(t.token));
    expect(ok.status).toBe(200);
    const [row1] = await w.db.query<{ last_used_at: Date | null }>(`select last_used_at from api_tokens where id = $1`, [t.id]);
    expect(row1!.last_used_at).not.toBeNull();
    await get(srv.url, "study.list", undefined, bearer(t.token));
    const [row2] = await w.db.query<{ last_used_at: Date | null }>(`select last_used_at from api_tokens where id = $1`, [t.id]);
    expect(new Date(row2!.last_used_at!).getTime()).toBe(new Date(row1!.last_used_at!).getTime()); // throttled: one write a minute
    await owner.token.revoke({ id: t.id });
    const after = await get(srv.url, "study.list", undefined, bearer(t.token));
    expect(after.status).toBe(401);
    expect(after.body.error?.data.userMessage).toMatch(/revoked/);
  });

  it("expired → 401; missing scope → 403 (HTTP)", async () => {
    expect((await get(srv.url, "study.list", undefined, bearer(w.tokens.expiredA))).status).toBe(401);
    const ro = await post(srv.url, "trial.ask", { studyId: w.A.studyId }, bearer(w.tokens.readOnlyA));
    expect(ro.status).toBe(403);
    expect(ro.body.error?.data.appCode).toBe("SCOPE_MISSING");
    expect((await get(srv.url, "study.best", { studyId: w.A.studyId }, bearer(w.tokens.readOnlyA))).status).toBe(200);
    expect((await get(srv.url, "study.list", undefined, bearer(w.tokens.agentOnlyA))).status).toBe(403);
  });

  it("expiry is checked against the clock on every request", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const t = await owner.token.create({ name: "clock", scopes: ["read"], expiresInDays: 1 });
    const later = { ...w.deps, options: { ...w.deps.options, clock: { now: () => new Date(Date.now() + 2 * 86_400_000) } } };
    const r = await resolveApiToken(w.db, t.token, resolveApiOptions(later.options));
    expect(r).toBeInstanceOf(AppError);
    expect((r as AppError).userMessage).toMatch(/expired/);
  });

  it("a deactivated owner's tokens stop working", async () => {
    const u = await w.signUp({ email: "leaver@x.test", password: "leaver-password", name: "Leaver" });
    const me = await w.as(u.userId, u.orgId);
    const t = await me.token.create({ name: "mine", scopes: ["read"] });
    expect((await get(srv.url, "study.list", undefined, bearer(t.token))).status).toBe(200);
    await me.auth.deactivate({ password: "leaver-password" });
    expect((await get(srv.url, "study.list", undefined, bearer(t.token))).status).toBe(401);
  });
});

describe("S10 no secrets in logs or error bodies", () => {
  it("tokens, passwords and Authorization headers never reach stdout/stderr, the internal-error hook or an error body", async () => {
    const logged: string[] = [];
    const origOut = process.stdout.write.bind(process.stdout);
    const origErr = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      logged.push(String(chunk));
      return true;
    };
    const hooks: string[] = [];
    const s = await startServer({
      ...w.deps,
      options: { ...w.deps.options, onInternalError: (i) => hooks.push(JSON.stringify(i)) },
    });
    const bodies: string[] = [];
    const password = "S10-very-secret-password";
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const t = await owner.token.create({ name: "s10", scopes: ["read"] });
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    try {
      const typo = t.token.slice(0, -1) + (t.token.endsWith("a") ? "b" : "a");
      for (const [path, input, headers] of [
        ["study.list", undefined, bearer(t.token)],
        ["study.list", undefined, bearer(typo)],
        ["study.list", undefined, { authorization: `Basic ${Buffer.from(`u:${password}`).toString("base64")}` }],
        ["project.create", { name: "x" }, bearer(t.token)],
      ] as const) {
        bodies.push(JSON.stringify((await get(s.url, path, input, headers)).body));
      }
      bodies.push(JSON.stringify((await post(s.url, "auth.signUp", { email: "s10@x.test", password: "short", name: "S" })).body));
      bodies.push(JSON.stringify((await post(s.url, "auth.signUp", { email: password, password, name: "S" })).body));
      bodies.push(JSON.stringify((await post(s.url, "token.create", { name: "x", scopes: [t.token] }, bearer(t.token))).body));
    } finally {
      process.stdout.write = origOut;
      process.stderr.write = origErr;
      await s.close();
    }
    const all = [...logged, ...hooks, ...bodies].join("\n");
    expect(all).not.toMatch(/agl_[0-9A-Za-z]{20,}/);
    expect(all).not.toContain(password);
    expect(all).not.toMatch(/authorization:/i);
    expect(all).not.toMatch(/postgres:\/\/[^@\s]+:[^@\s]+@/);
  });
});

describe("S10 error sentences do not echo values", () => {
  it("an enum error names the field and the choices, not what was sent", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const secret = "agl_" + "Z".repeat(38);
    const s = await startServer(w.deps);
    try {
      const r = await fetch(`${s.url}/token.create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "x", scopes: [secret] }),
      });
      expect(r.status).toBe(401); // no session over the standalone adapter
    } finally {
      await s.close();
    }
    const e = await owner.token.create({ name: "x", scopes: [secret as "read"] }).catch((err: unknown) => err as Error);
    const { describeZodIssues } = await import("../src/index.js");
    const issues = (e as { cause?: { issues?: [] } }).cause?.issues ?? [];
    const sentence = describeZodIssues(issues);
    expect(sentence).toBe("scopes.0: must be one of read, write, agent, infer");
    expect(sentence).not.toContain(secret);
  });

  it("npm start's local-agent token: each start replaces the last (the old one stops working, the list holds one)", async () => {
    const { issueLocalAgentToken, LOCAL_AGENT_TOKEN_NAME } = await import("../src/index.js");
    const first = await issueLocalAgentToken(w.db, { orgId: w.A.orgId, userId: w.A.ownerId });
    const second = await issueLocalAgentToken(w.db, { orgId: w.A.orgId, userId: w.A.ownerId });
    const third = await issueLocalAgentToken(w.db, { orgId: w.A.orgId, userId: w.A.ownerId });
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const local = (await owner.token.list()).filter((t) => t.name === LOCAL_AGENT_TOKEN_NAME);
    expect(local).toHaveLength(1);
    expect(local[0]!.prefix).toBe(third.slice(0, 8));
    expect(local[0]!.scopes).toEqual(["agent"]);
    for (const old of [first, second]) {
      const r = await resolveApiToken(w.db, old, resolveApiOptions());
      expect(r).toBeInstanceOf(AppError);
    }
    expect(await resolveApiToken(w.db, third, resolveApiOptions())).not.toBeInstanceOf(AppError);
  });
});

describe("S6c per-token request budget", () => {
  it("a token over its budget gets 429 on every procedure; exactly `limit` requests pass; other tokens are unaffected", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const hot = await owner.token.create({ name: "hot", scopes: ["read"] });
    const cool = await owner.token.create({ name: "cool", scopes: ["read"] });
    const fixed = new Date(); // one window for the whole burst
    const s = await startServer({
      ...w.deps,
      options: { ...w.deps.options, clock: { now: () => fixed }, tokenRateLimit: { limit: 20, windowMs: 60_000 } },
    });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, () => get(s.url, "study.list", undefined, bearer(hot.token)).then((r) => r.status)),
      );
      expect(statuses.filter((x) => x === 200)).toHaveLength(20);
      expect(statuses.filter((x) => x === 429)).toHaveLength(10);
      const limited = await get(s.url, "project.list", undefined, bearer(hot.token));
      expect(limited.status).toBe(429);
      expect(limited.body.error?.data.appCode).toBe("RATE_LIMITED");
      expect((await get(s.url, "study.list", undefined, bearer(cool.token))).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

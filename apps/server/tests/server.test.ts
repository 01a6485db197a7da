import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { REPO_ROOT } from "../src/env.js";
import { Browser, connectSocket, waitConnect, waitFor } from "./helpers.js";

const STUDY_YAML = `name: socket-test
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 10}
sampler: {name: random, seed: 1}
budget: {max_trials: 20, max_parallel: 4}
`;

if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

let db: TestDb;
let server: RunningServer;
let dataDir: string;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-server-test-"));
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    askSweepIntervalMs: 200,
    askLeaseMs: 1_500,
    log: (l) => logs.push(l),
  });
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signedInUser(tag: string) {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  const password = "correct horse battery";
  await browser.call<{ ok: true }>("auth.signUp", { email, password, name: tag, teamName: `${tag} team` });
  const res = await browser.signIn(email, password);
  expect(res.status).toBe(200);
  expect([...browser.cookies.keys()].some((k) => k.includes("session-token"))).toBe(true);
  // Sign-up names no ids (it answers alike for a taken email): the new account's only team.
  const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  return { browser, email, password, orgId };
}

describe("apps/server", () => {
  it("answers /healthz with the database up", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, db: "up", web: "ready" });
  });

  it("serves the sign-in page and redirects a signed-out visitor to it", async () => {
    const page = await fetch(`${server.url}/signin`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Sign in");
    const res = await fetch(`${server.url}/projects`, { redirect: "manual" });
    expect([302, 303, 307, 308]).toContain(res.status);
    expect(res.headers.get("location")).toContain("/signin");
  });

  it("refuses an unauthenticated socket", async () => {
    const socket = connectSocket(server.url, { origin: server.url });
    const r = await waitConnect(socket);
    socket.close();
    expect(r).toEqual({ ok: false, message: "unauthorized" });
  });

  it("refuses a socket handshake from a foreign Origin, even with a valid session (S5)", async () => {
    const { browser } = await signedInUser("evil-origin");
    for (const transport of ["websocket", "polling"] as const) {
      const socket = connectSocket(server.url, { cookie: browser.cookieHeader(), origin: "https://evil.test", transport });
      const r = await waitConnect(socket);
      socket.close();
      expect(r.ok, transport).toBe(false);
    }
    // The same session from the server's own origin connects.
    const ok = connectSocket(server.url, { cookie: browser.cookieHeader(), origin: server.url });
    expect(await waitConnect(ok)).toEqual({ ok: true });
    ok.close();
  });

  it("refuses a cross-origin tRPC mutation carrying the victim's cookie (S5)", async () => {
    const { browser, orgId } = await signedInUser("csrf");
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/json"]) {
      const res = await browser.fetch("/api/trpc/project.create", {
        method: "POST",
        headers: { origin: "https://evil.test", "content-type": contentType, "x-autoglm-org": orgId },
        body: JSON.stringify({ name: "pwned" }),
      });
      expect(res.status, contentType).toBe(403);
    }
    const list = await browser.call<{ name: string }[]>("project.list", undefined, { org: orgId, query: true });
    expect(list.map((p) => p.name)).not.toContain("pwned");
  });

  it("refuses a body over 1 MiB with 413 and keeps serving", async () => {
    const res = await fetch(`${server.url}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.c", password: "x".repeat(2 * 1024 * 1024), name: "big" }),
    });
    expect(res.status).toBe(413);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("pushes trial:updated to a signed-in socket in the study room when a trial is told", async () => {
    const { browser, orgId } = await signedInUser("live");
    const project = await browser.call<{ id: string }>("project.create", { name: "Live project" }, { org: orgId });
    const study = await browser.call<{ id: string }>("study.create", { projectId: project.id, yaml: STUDY_YAML }, { org: orgId });

    const socket = connectSocket(server.url, { cookie: browser.cookieHeader(), origin: server.url });
    expect(await waitConnect(socket)).toEqual({ ok: true });
    try {
      // A room the user cannot see answers like one that does not exist.
      const foreign = await socket.emitWithAck("room:join", { room: `study:00000000-0000-4000-8000-000000000000` });
      expect(foreign).toEqual({ ok: false, error: "not found" });
      expect(await socket.emitWithAck("room:join", { room: `study:${study.id}` })).toEqual({ ok: true });

      const asked = await browser.call<{ trialId: string; number: number }>("trial.ask", { studyId: study.id }, { org: orgId });
      const told = waitFor<{ type: string; studyId: string; trialId?: string }>(
        socket,
        "trial:updated",
        (e) => e.trialId === asked.trialId,
      );
      await browser.call("trial.tell", { trialId: asked.trialId, value: 0.5 }, { org: orgId });
      const event = await told;
      expect(event).toMatchObject({ type: "trial:updated", studyId: study.id, orgId, trialId: asked.trialId });

      const best = await browser.call<{ value: number } | null>("study.best", { studyId: study.id }, { org: orgId, query: true });
      expect(best?.value).toBe(0.5);
    } finally {
      socket.close();
    }
  });

  it("does not deliver another team's study events to a socket (S1)", async () => {
    const a = await signedInUser("team-a");
    const b = await signedInUser("team-b");
    const project = await a.browser.call<{ id: string }>("project.create", { name: "A's" }, { org: a.orgId });
    const study = await a.browser.call<{ id: string }>(
      "study.create",
      { projectId: project.id, yaml: STUDY_YAML },
      { org: a.orgId },
    );
    const socket = connectSocket(server.url, { cookie: b.browser.cookieHeader(), origin: server.url });
    expect(await waitConnect(socket)).toEqual({ ok: true });
    try {
      expect(await socket.emitWithAck("room:join", { room: `study:${study.id}` })).toEqual({ ok: false, error: "not found" });
      expect(await socket.emitWithAck("room:join", { room: `org:${a.orgId}` })).toEqual({ ok: false, error: "not found" });
    } finally {
      socket.close();
    }
  });

  it("answers 429 from the 11th failed sign-in for one account (S6)", async () => {
    const { email } = await signedInUser("brute");
    const attacker = new Browser(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await attacker.signIn(email, `wrong password ${i}`);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 10).every((s) => s !== 429 && s < 500)).toBe(true);
    expect(statuses[10]).toBe(429);
    const body = (await (await attacker.signIn(email, "another wrong one")).json()) as { message: string };
    expect(body.message).toMatch(/Too many sign-in attempts/);
  });

  it("fails a trial whose ask-lease expired (LEASE_EXPIRED) and rings the study room", async () => {
    const { browser, orgId } = await signedInUser("lease");
    const project = await browser.call<{ id: string }>("project.create", { name: "Lease" }, { org: orgId });
    const study = await browser.call<{ id: string }>("study.create", { projectId: project.id, yaml: STUDY_YAML }, { org: orgId });
    const socket = connectSocket(server.url, { cookie: browser.cookieHeader(), origin: server.url });
    expect(await waitConnect(socket)).toEqual({ ok: true });
    try {
      expect(await socket.emitWithAck("room:join", { room: `study:${study.id}` })).toEqual({ ok: true });
      const rung: { trialId?: string; at: number }[] = [];
      socket.on("trial:updated", (e: { trialId?: string }) => rung.push({ ...e, at: Date.now() }));
      const askedAt = Date.now();
      const asked = await browser.call<{ trialId: string }>("trial.ask", { studyId: study.id }, { org: orgId });
      // Nobody reports: the 1.5 s lease runs out and the 200 ms sweeper fails the trial. (The
      // ask rings the room too, so the expiry's doorbell is the one after the lease ran out.)
      let trial: { state: string; endCode: string | null } | undefined;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        trial = await browser.call<{ state: string; endCode: string | null }>(
          "trial.get",
          { trialId: asked.trialId },
          { org: orgId, query: true },
        );
        if (trial.state !== "running") break;
      }
      expect(trial).toMatchObject({ state: "failed", endCode: "LEASE_EXPIRED" });
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        if (rung.some((e) => e.trialId === asked.trialId && e.at >= askedAt + 1_500)) break;
      }
      expect(rung.some((e) => e.trialId === asked.trialId && e.at >= askedAt + 1_500)).toBe(true);
    } finally {
      socket.close();
    }
  });

  it("ends sockets and API calls of a session signed out everywhere (S4)", async () => {
    const { browser } = await signedInUser("signout");
    const oldCookie = browser.cookieHeader();
    const live = connectSocket(server.url, { cookie: oldCookie, origin: server.url });
    expect(await waitConnect(live)).toEqual({ ok: true });
    const liveClosed = new Promise<string>((r) => live.once("disconnect", (reason) => r(reason)));
    await browser.call("auth.signOutEverywhere", undefined);
    // The socket opened with it is closed by the server at once (S13); the replayed cookie no
    // longer opens a socket or calls the API.
    expect(await liveClosed).toBe("io server disconnect");
    const replay = connectSocket(server.url, { cookie: oldCookie, origin: server.url });
    expect(await waitConnect(replay)).toEqual({ ok: false, message: "unauthorized" });
    replay.close();
    live.close();
    const me = await browser.trpc("auth.me", undefined, { query: true });
    expect(me.status).toBe(401);
  });

  it("never logs the auth secret or a session cookie (S10)", () => {
    const text = logs.join("\n");
    const secret = readFileSync(path.join(dataDir, "auth-secret"), "utf8").trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/session-token=/);
    expect(text).not.toMatch(/agl_[A-Za-z0-9]{30,}/);
  });
});

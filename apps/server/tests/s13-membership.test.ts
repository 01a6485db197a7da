import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { io as connect, type Socket } from "socket.io-client";
import { Server } from "socket.io";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { attachAgentGateway, type AgentGateway } from "@autoglm/scheduler";
import { attachClusterAdapter } from "../src/cluster-adapter.js";
import { REPO_ROOT } from "../src/env.js";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser, connectSocket, waitConnect } from "./helpers.js";

/**
 * S13 (RELIABILITY.md), live: removing a member, demoting them to viewer, deactivating them,
 * revoking a token and signing out everywhere close the connections that change took the
 * right from within 1 s — the agent sockets of their tokens and their dashboard sockets —
 * through the real server and the real api (browser sign-in, tRPC over HTTP). The heartbeat's
 * token re-check is pushed out of reach, so only the `access:revoked` bell can close them in
 * time. The database's own checks (handshake, registration, lease, writes) are tested without
 * any bell in tests/run-loop/src/s13-membership.test.ts.
 */
if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

const RUN_LOOP = {
  heartbeatMs: 200,
  leaseTtlMs: 5_000,
  sweepMs: 200,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 300,
  tokenRecheckMs: 600_000,
};
const CLOSE_WITHIN_MS = 1_000;
const PASSWORD = "correct horse battery";
const RUN_STUDY = (name: string) => `name: ${name}
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 1}
budget: {max_trials: 200, max_parallel: 20}
run:
  command: "true"
  env: {API_SECRET: s13-secret}
`;

let db: TestDb;
let server: RunningServer;
let dataDir: string;
const sockets: Socket[] = [];
let admin: Person;
let orgId: string;
let projectId: string;

interface Person {
  browser: Browser;
  userId: string;
  email: string;
}

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-s13-"));
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    // With PostgreSQL the Socket.IO Postgres adapter is on, as in production.
    ...(db.url ? { databaseUrl: db.url } : {}),
    runLoop: RUN_LOOP,
    log: () => {},
  });
  admin = await signUp("admin", "S13 team");
  orgId = (await admin.browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  projectId = (await admin.browser.call<{ id: string }>("project.create", { name: "S13" }, { org: orgId })).id;
  // The queue every agent below is leased from (with a secret in run.env).
  await admin.browser.call("study.create", { projectId, yaml: RUN_STUDY("s13-run") }, { org: orgId });
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signUp(tag: string, teamName?: string): Promise<Person> {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: tag, ...(teamName ? { teamName } : {}) });
  expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
  const me = await browser.call<{ user: { id: string } }>("auth.me", undefined, { query: true });
  return { browser, userId: me.user.id, email };
}

/** A new person who joins the admin's team by invitation with `role`. */
async function member(tag: string, role: "member" | "admin" | "viewer" = "member"): Promise<Person> {
  const invite = await admin.browser.call<{ url: string }>("org.invite", { role }, { org: orgId });
  const person = await signUp(tag);
  await person.browser.call("org.acceptInvite", { secret: invite.url.split("/").pop() });
  return person;
}

async function agentToken(person: Person): Promise<{ id: string; token: string }> {
  return person.browser.call<{ id: string; token: string }>("token.create", { name: "agent", scopes: ["agent"] }, { org: orgId });
}

interface TestAgent {
  socket: Socket;
  leases: Array<{ trialId: string; at: number }>;
  closed: Promise<number>;
}

/** An agent speaking the real protocol (registers, accepts every lease, runs nothing); resolves once it holds a lease. */
async function startAgent(token: string, name: string, url = server.url): Promise<TestAgent> {
  const socket = connect(`${url}/agents`, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
  sockets.push(socket);
  const leases: TestAgent["leases"] = [];
  socket.on("trial:lease", (lease: { trialId: string }, ack: (r: unknown) => void) => {
    leases.push({ trialId: lease.trialId, at: Date.now() });
    ack({ ok: true, accepted: true });
  });
  const closed = new Promise<number>((r) => socket.once("disconnect", () => r(Date.now())));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err) => reject(err));
  });
  const ack = await socket.timeout(2_000).emitWithAck("agent:register", {
    v: 1,
    name,
    host: "s13",
    cpuCores: 1,
    memoryMb: 1024,
    gpus: [],
    labels: {},
    maxTrials: 1,
    running: [],
  });
  expect(ack).toMatchObject({ ok: true });
  await waitUntil(() => leases.length > 0, 10_000, `a lease for ${name}`);
  return { socket, leases, closed };
}

async function refusedAtHandshake(token: string): Promise<string | null> {
  const socket = connect(`${server.url}/agents`, {
    transports: ["websocket"],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(null));
    socket.once("connect_error", (err) => resolve(err.message));
  });
}

interface Dashboard {
  socket: Socket;
  events: number[];
  closed: Promise<number>;
}

/** A signed-in browser's live socket in the team's room, recording when events arrive. */
async function dashboard(person: Person): Promise<Dashboard> {
  const socket = connectSocket(server.url, { cookie: person.browser.cookieHeader(), origin: server.url });
  sockets.push(socket);
  expect(await waitConnect(socket)).toEqual({ ok: true });
  const events: number[] = [];
  for (const e of ["study:updated", "trial:updated"]) socket.on(e, () => events.push(Date.now()));
  const closed = new Promise<number>((r) => socket.once("disconnect", () => r(Date.now())));
  expect(await socket.emitWithAck("room:join", { room: `org:${orgId}` })).toEqual({ ok: true });
  return { socket, events, closed };
}

async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves with the close time, or fails if the connection is still open `CLOSE_WITHIN_MS` after `since`. */
async function closedWithinBudget(closed: Promise<number>, since: number, what: string): Promise<number> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`${what} still open ${CLOSE_WITHIN_MS} ms after the change`)),
      Math.max(0, since + CLOSE_WITHIN_MS - Date.now()),
    ),
  );
  const at = await Promise.race([closed, timeout]);
  expect(at - since).toBeLessThanOrEqual(CLOSE_WITHIN_MS);
  return at;
}

/** Rings the team's room: trial.ask on a fresh ask/tell study publishes study/trial updates. */
async function ringTeamRoom(): Promise<void> {
  const yaml = `name: ring-${Date.now()}\nobjective: {metric: loss, direction: minimize}\nspace:\n  x: {type: float, low: 0, high: 1}\n`;
  const s = await admin.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: orgId });
  await admin.browser.call("trial.ask", { studyId: s.id }, { org: orgId });
}

async function leasesSince(tokenId: string, since: number): Promise<number> {
  const [r] = await db.query<{ n: unknown }>(
    `SELECT count(*) AS n FROM trial_attempts a JOIN agents g ON g.id = a.agent_id WHERE g.token_id = $1 AND a.started_at >= $2`,
    [tokenId, new Date(since)],
  );
  return Number(r!.n);
}

describe("S13: membership changes close connections at once", () => {
  it("removing a member closes their agent and their dashboard socket within 1 s; no lease and no event reach them after", async () => {
    const person = await member("removed");
    const token = await agentToken(person);
    const agent = await startAgent(token.token, "removed-box");
    const watcher = await dashboard(person);
    const adminView = await dashboard(admin);

    const changedAt = Date.now();
    await admin.browser.call("org.removeMember", { userId: person.userId }, { org: orgId });
    await closedWithinBudget(agent.closed, changedAt, "the removed member's agent");
    await closedWithinBudget(watcher.closed, changedAt, "the removed member's dashboard socket");

    await ringTeamRoom();
    // The team's room still rings (the admin hears it); the removed member's socket heard nothing after.
    await waitUntil(() => adminView.events.some((t) => t > changedAt), 5_000, "an event in the admin's socket");
    expect(watcher.events.filter((t) => t > changedAt + CLOSE_WITHIN_MS)).toEqual([]);
    expect(agent.leases.filter((l) => l.at > changedAt)).toEqual([]);
    expect(await leasesSince(token.id, changedAt)).toBe(0);
    expect(await refusedAtHandshake(token.token)).toBe("unauthorized");
    adminView.socket.close();
  });

  it("demoting a member to viewer closes their agent within 1 s and refuses its reconnect; their dashboard still watches", async () => {
    const person = await member("demoted");
    const token = await agentToken(person);
    const agent = await startAgent(token.token, "demoted-box");
    const watcher = await dashboard(person);

    const changedAt = Date.now();
    await admin.browser.call("org.updateMember", { userId: person.userId, role: "viewer" }, { org: orgId });
    await closedWithinBudget(agent.closed, changedAt, "the demoted member's agent");
    expect(await refusedAtHandshake(token.token)).toBe("unauthorized");
    expect(await leasesSince(token.id, changedAt)).toBe(0);

    // A viewer may watch the team: the dashboard socket stays and keeps hearing the room.
    await ringTeamRoom();
    await waitUntil(() => watcher.events.some((t) => t > changedAt), 5_000, "an event in the viewer's socket");
    expect(watcher.socket.connected).toBe(true);
    watcher.socket.close();
  });

  it("deactivating an account closes its agents and dashboard sockets within 1 s", async () => {
    const person = await member("deactivated");
    const token = await agentToken(person);
    const agent = await startAgent(token.token, "deactivated-box");
    const watcher = await dashboard(person);

    const changedAt = Date.now();
    await person.browser.call("auth.deactivate", { password: PASSWORD });
    await closedWithinBudget(agent.closed, changedAt, "the deactivated user's agent");
    await closedWithinBudget(watcher.closed, changedAt, "the deactivated user's dashboard socket");
    expect(await refusedAtHandshake(token.token)).toBe("unauthorized");
    expect(await leasesSince(token.id, changedAt)).toBe(0);
  });

  it("revoking a token closes the agents connected with it within 1 s; the owner's other token's agent stays", async () => {
    const person = await member("revoker");
    const revoked = await agentToken(person);
    const kept = await agentToken(person);
    const gone = await startAgent(revoked.token, "revoked-box");
    const stays = await startAgent(kept.token, "kept-box");

    const changedAt = Date.now();
    await person.browser.call("token.revoke", { id: revoked.id }, { org: orgId });
    await closedWithinBudget(gone.closed, changedAt, "the revoked token's agent");
    expect(await refusedAtHandshake(revoked.token)).toBe("unauthorized");
    await new Promise((r) => setTimeout(r, 300));
    expect(stays.socket.connected).toBe(true);
    stays.socket.close();
  });

  it("signing out everywhere closes the user's dashboard sockets within 1 s; their agents (API tokens) stay", async () => {
    const person = await member("signout");
    const token = await agentToken(person);
    const agent = await startAgent(token.token, "signout-box");
    const watcher = await dashboard(person);

    const changedAt = Date.now();
    await person.browser.call("auth.signOutEverywhere", undefined);
    await closedWithinBudget(watcher.closed, changedAt, "the signed-out dashboard socket");
    await new Promise((r) => setTimeout(r, 300));
    expect(agent.socket.connected).toBe(true);
    agent.socket.close();
  });

  it("signing out closes that sign-in's dashboard sockets within 1 s; the same user's other sign-in keeps its socket", async () => {
    const person = await member("two-tabs");
    const other = new Browser(server.url);
    expect((await other.signIn(person.email, PASSWORD)).status).toBe(200);
    const signingOut = await dashboard(person);
    const staying = await dashboard({ ...person, browser: other });

    const csrf = (await (await person.browser.fetch("/api/auth/csrf")).json()) as { csrfToken: string };
    const changedAt = Date.now();
    const res = await person.browser.fetch("/api/auth/signout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken: csrf.csrfToken, json: "true" }).toString(),
    });
    expect(res.status).toBeLessThan(400);
    await closedWithinBudget(signingOut.closed, changedAt, "the signed-out tab's socket");
    await new Promise((r) => setTimeout(r, 300));
    expect(staying.socket.connected).toBe(true);
    staying.socket.close();
  });
});

describe.skipIf(!process.env.DATABASE_URL)("S13 across server replicas (PostgreSQL)", () => {
  let http: HttpServer;
  let io: Server;
  let gateway: AgentGateway;
  let cluster: { close(): Promise<void> } | null;
  let replicaUrl: string;

  beforeAll(async () => {
    // Replica B: its own Socket.IO server and agent gateway on the same database, joined to
    // replica A (the full server above) by the Postgres adapter only.
    http = createServer();
    io = new Server(http, { serveClient: false });
    cluster = await attachClusterAdapter(io, { databaseUrl: db.url, log: () => {} });
    gateway = attachAgentGateway(io, { db, config: RUN_LOOP });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    replicaUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway?.close();
    io?.disconnectSockets(true);
    await cluster?.close();
    io?.close();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  });

  it("removing a member through replica A closes their agent connected to replica B within 1 s", async () => {
    const person = await member("replica");
    const token = await agentToken(person);
    const agent = await startAgent(token.token, "replica-b-box", replicaUrl);

    const changedAt = Date.now();
    await admin.browser.call("org.removeMember", { userId: person.userId }, { org: orgId });
    await closedWithinBudget(agent.closed, changedAt, "the agent on replica B");
    expect(await leasesSince(token.id, changedAt)).toBe(0);
  });
});

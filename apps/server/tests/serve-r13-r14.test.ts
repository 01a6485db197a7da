/**
 * R13 and R14 with nothing faked: a real agent trains a builtin-mlp study on the digits data,
 * three of its trials become versions 1–3 of one model, and the gateway serves them.
 * - R13: 16 concurrent keep-alive clients call /invocations while the `production` alias moves
 *   5 times between the versions; every answer succeeds, names exactly one version, carries that
 *   version's predictions, and no version answers a request sent after its replicas drained.
 * - R14: two agent PROCESSES hold one replica each; under 8 concurrent clients one is killed
 *   with SIGKILL: only requests in flight at the kill may fail, later ones all succeed on the
 *   survivor, and a replacement replica is ready within two lease periods.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent as HttpAgent, request } from "undici";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { DIGITS_DEMO_STUDY_SPEC } from "@autoglm/scheduler";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { startServingServer, type ServingServer } from "./serving-server.js";

// T = 6 s: a dead agent's replica is replaced once its lease lapses (~T + one 200 ms sweep,
// ~3.2 s after the kill with T = 3 s here), which leaves the replacement ~T to download and load
// the model on a loaded 2-core CI machine before the 2T bound.
const T = 6_000;
const RUN = { heartbeatMs: 250, leaseTtlMs: T, sweepMs: 200, tickMs: 100, ackTimeoutMs: 3_000, startupGraceMs: 0 };
const AGENT_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/agent/dist/cli.js");
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

let db: TestDb;
let server: ServingServer;
let dir: string;
let agent: RunningAgent | undefined;
const children: ChildProcess[] = [];
let caller: Awaited<ReturnType<typeof createServerCaller>>;
let agentToken: string;
let modelName: string;
let key: string;
/** Registered versions, and the predictions each gave for ROWS while it served alone. */
const versions: number[] = [];
const alone = new Map<number, string>();

/** 32 rows of the digits' width (64 pixels in 0..1) that the trained MLPs disagree on often. */
const ROWS = Array.from({ length: 32 }, (_, r) => Array.from({ length: 64 }, (_, i) => ((i * 7 + r * 13) % 17) / 16));
const BODY = JSON.stringify({ inputs: ROWS });

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  startedAt: number;
  endedAt: number;
  status: number | "error";
  versions: string[];
  predictions: string;
  /** The body of an answer that was not 200, or the error thrown. */
  error?: string;
}

/** One POST /invocations through the gateway; a thrown error (connection lost) is an answer too. */
async function invoke(url: string, key: string, dispatcher: HttpAgent): Promise<Answer> {
  const startedAt = Date.now();
  try {
    const res = await request(`${url}/invocations`, {
      method: "POST",
      dispatcher,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: BODY,
    });
    const header = res.headers["x-autoglm-model-version"];
    const text = await res.body.text();
    const predictions = res.statusCode === 200 ? JSON.stringify((JSON.parse(text) as { predictions: unknown }).predictions) : "";
    return {
      startedAt,
      endedAt: Date.now(),
      status: res.statusCode,
      versions: header === undefined ? [] : Array.isArray(header) ? header : header.split(",").map((v) => v.trim()),
      predictions,
      ...(res.statusCode === 200 ? {} : { error: text.slice(0, 200) }),
    };
  } catch (err) {
    return { startedAt, endedAt: Date.now(), status: "error", versions: [], predictions: "", error: String(err) };
  }
}

/** `clients` concurrent request loops until stop() (or maxPerClient / maxMs), on keep-alive connections. */
function load(url: string, key: string, clients: number, opts: { maxPerClient: number; maxMs: number }) {
  const dispatcher = new HttpAgent({ connections: clients, keepAliveTimeout: 30_000 });
  const answers: Answer[] = [];
  let inFlight = 0;
  let stopped = false;
  const end = Date.now() + opts.maxMs;
  const loops = Array.from({ length: clients }, async () => {
    for (let i = 0; i < opts.maxPerClient && !stopped && Date.now() < end; i++) {
      inFlight++;
      const a = await invoke(url, key, dispatcher);
      inFlight--;
      answers.push(a);
    }
  });
  return {
    answers,
    inFlight: () => inFlight,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await dispatcher.close();
    },
  };
}

async function endpointDetail(name: string) {
  return caller.endpoint.get({ name });
}

/** The endpoint serves only `version`: a ready replica of it, and every other replica ended. */
async function servesOnly(name: string, version: number) {
  const d = await endpointDetail(name);
  const live = d.replicas.filter((r) => r.state !== "stopped" && r.state !== "failed");
  return live.length > 0 && live.every((r) => r.version === version && r.state === "ready") ? d : null;
}

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-r13-"));
  // Trials started by an agent running as root run as nobody, who must reach the work dir.
  chmodSync(dir, 0o777);
  server = await startServingServer(db, path.join(dir, "store"), RUN);
  const team = await seedTeam(db, "serve-r13");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  caller = await createServerCaller(
    { db, events: nullEvents, artifacts: server.artifacts, runLoop: server.gateway, options: { publicUrl: server.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  const spec = { ...DIGITS_DEMO_STUDY_SPEC, budget: { max_trials: 3, max_parallel: 1 }, register: undefined };
  const study = await caller.study.create({ projectId: team.projectId, spec });
  agentToken = await seedToken(db, team);
  agent = await startAgent({
    server: server.url,
    token: agentToken,
    gpus: [],
    workDir: path.join(dir, "work"),
    heartbeatMs: RUN.heartbeatMs,
    ackTimeoutMs: 2_000,
    logger: silentLogger,
  });
  await agent.registered;
  await waitFor(async () => (await caller.study.get({ studyId: study.id })).state === "completed", 150_000, "the study");
  const deployed = await caller.endpoint.deploy({ studyId: study.id, name: "r13" });
  const url = deployed.url;
  modelName = deployed.model;
  key = deployed.key!;
  versions.push(deployed.version);
  const best = (await caller.study.get({ studyId: study.id })).best!.trialId;
  const others = (await caller.trial.list({ studyId: study.id })).items.filter((t) => t.state === "complete" && t.id !== best);
  for (const t of others) versions.push((await caller.model.register({ trialId: t.id, name: modelName })).version);
  // What each version answers when it serves alone: the reference for every answer under load.
  for (const v of versions) {
    await caller.model.setAlias({ name: modelName, alias: "production", version: v });
    await waitFor(() => servesOnly("r13", v), 60_000, `version ${v} alone`);
    const dispatcher = new HttpAgent();
    const a = await invoke(url, key, dispatcher);
    await dispatcher.close();
    expect(a).toMatchObject({ status: 200, versions: [String(v)] });
    alone.set(v, a.predictions);
  }
}, 300_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await agent?.stop();
  await server?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("R13: 16 concurrent clients, the alias moves 5 times: 0 failures, one version per answer, in move order", async () => {
  expect(versions.length).toBeGreaterThanOrEqual(2);
  // The versions must be told apart by their predictions, or the check below proves nothing.
  expect(new Set(alone.values()).size).toBeGreaterThanOrEqual(2);
  const url = (await endpointDetail("r13")).url;
  let current = versions.at(-1)!;
  const moves: { from: number; to: number; movedAt: number; drainedAt: number }[] = [];
  const traffic = load(url, key, 16, { maxPerClient: 20_000, maxMs: 200_000 });
  try {
    for (let i = 0; i < 5; i++) {
      const to =
        versions[i % versions.length] === current ? versions[(i + 1) % versions.length]! : versions[i % versions.length]!;
      const movedAt = Date.now();
      await caller.model.setAlias({ name: modelName, alias: "production", version: to });
      await waitFor(() => servesOnly("r13", to), 60_000, `version ${to} to take over`);
      moves.push({ from: current, to, movedAt, drainedAt: Date.now() });
      current = to;
    }
    // Traffic after the last drain, so the last version is seen alone too.
    const seen = traffic.answers.length;
    await waitFor(async () => traffic.answers.length >= seen + 32, 30_000, "traffic after the last move");
  } finally {
    await traffic.stop();
  }
  const answers = traffic.answers;
  expect(answers.length).toBeGreaterThan(100);
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  for (const a of answers) {
    expect(a.versions).toHaveLength(1);
    expect(a.predictions).toBe(alone.get(Number(a.versions[0])));
  }
  // A request sent after a move's drain finished, and before the next move, is the new version's.
  for (const [k, m] of moves.entries()) {
    const next = moves[k + 1]?.movedAt ?? Infinity;
    const after = answers.filter((a) => a.startedAt > m.drainedAt && a.startedAt < next);
    expect(after.filter((a) => a.versions[0] !== String(m.to))).toEqual([]);
    // During the move only the old and the new version answer.
    const during = answers.filter((a) => a.startedAt >= m.movedAt && a.startedAt <= m.drainedAt);
    expect(during.filter((a) => a.versions[0] !== String(m.from) && a.versions[0] !== String(m.to))).toEqual([]);
  }
  // Each version the alias moved to answered once its move was done.
  for (const m of moves) expect(answers.some((a) => a.startedAt > m.drainedAt && a.versions[0] === String(m.to))).toBe(true);
}, 300_000);

function spawnAgentProcess(name: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      AGENT_CLI,
      "--server",
      server.url,
      "--name",
      name,
      "--work-dir",
      path.join(dir, name),
      "--max-trials",
      "1",
      "--no-gpus",
      "--heartbeat-ms",
      String(RUN.heartbeatMs),
      "--ack-timeout-ms",
      "1000",
      "--reconnect-max-ms",
      "1000",
    ],
    {
      cwd: dir,
      // The token through the environment, never argv.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", NODE_ENV: "test", AUTOGLM_TOKEN: agentToken },
      stdio: "ignore",
    },
  );
  children.push(child);
  return child;
}

it("R14: kill -9 of one of two replicas' agents under load: only in-flight requests fail, a replacement is ready within 2T", async () => {
  // The in-process agent leaves; two agent processes take its place.
  await agent?.stop();
  agent = undefined;
  const procs = new Map([
    ["r14-a", spawnAgentProcess("r14-a")],
    ["r14-b", spawnAgentProcess("r14-b")],
  ]);
  await waitFor(
    async () => {
      const rows = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM agents WHERE name IN ('r14-a', 'r14-b') AND is_online`,
      );
      return rows[0]!.n === 2;
    },
    30_000,
    "both agents online",
  );
  await caller.endpoint.create({ name: "r14", model: modelName, alias: "production", minReplicas: 2 });
  const placed = await waitFor(
    async () => {
      const d = await endpointDetail("r14");
      const ready = d.replicas.filter((r) => r.state === "ready");
      return ready.length === 2 ? d : null;
    },
    60_000,
    "two ready replicas",
  );
  const holders = placed.replicas.filter((r) => r.state === "ready").map((r) => r.agent);
  expect(new Set(holders)).toEqual(new Set(["r14-a", "r14-b"]));
  const before = new Set(placed.replicas.map((r) => r.id));

  const { key: r14Key } = await caller.endpoint.keyCreate({ endpoint: "r14" });
  const traffic = load(placed.url, r14Key, 8, { maxPerClient: 20_000, maxMs: 120_000 });
  let killedAt = 0;
  let inFlightAtKill = 0;
  let readyAgain: Awaited<ReturnType<typeof endpointDetail>>;
  try {
    await waitFor(async () => traffic.answers.length >= 100, 30_000, "traffic on both replicas");
    inFlightAtKill = traffic.inFlight();
    killedAt = Date.now();
    procs.get("r14-a")!.kill("SIGKILL");
    readyAgain = await waitFor(
      async () => {
        const d = await endpointDetail("r14");
        return d.replicas.some((r) => r.state === "ready" && !before.has(r.id)) ? d : null;
      },
      30_000,
      "a replacement replica",
    );
    const seen = traffic.answers.length;
    await waitFor(async () => traffic.answers.length >= seen + 100, 30_000, "traffic after the replacement");
  } finally {
    await traffic.stop();
  }
  const answers = traffic.answers;
  const failed = answers.filter((a) => a.status !== 200);
  // Only requests already sent when the agent died may fail; none sent later.
  expect(failed.length).toBeLessThanOrEqual(inFlightAtKill);
  expect(failed.filter((a) => a.startedAt > killedAt)).toEqual([]);
  // The survivor took the traffic at once: every request sent after the kill succeeded.
  const afterKill = answers.filter((a) => a.startedAt > killedAt);
  expect(afterKill.length).toBeGreaterThanOrEqual(100);
  expect(afterKill.filter((a) => a.status !== 200 || a.versions.length !== 1)).toEqual([]);
  const lost = readyAgain!.replicas.find((r) => r.agent === "r14-a" && r.state === "failed");
  expect(lost?.reason).toMatch(/^AGENT_LOST/);
  const replacement = readyAgain!.replicas.find((r) => r.state === "ready" && !before.has(r.id));
  expect(replacement).toMatchObject({ agent: "r14-b" });
  expect(Date.parse(replacement!.readyAt!) - killedAt).toBeLessThanOrEqual(2 * T);
}, 180_000);

/**
 * Flavor `command` end to end, nothing faked: a real agent runs a command study whose trials
 * write a tiny linear model (model.json) and the team's own server (serve.mjs, a node http
 * server: packages/agent/test-fixtures/team-server.mjs) to $AUTOGLM_OUTPUT_DIR, and whose spec
 * declares `serve: {command: "node serve.mjs --port {port}"}`. `endpoint.deploy` registers the
 * best trial (flavor `command`, the serve section in its lineage); the agent's replica starts
 * that server in the version's files and proxies to it; through the gateway /invocations
 * answers its predictions with the version header. Then: the team's server killed with SIGKILL
 * is restarted; a version whose stored file was changed is refused naming the file while the
 * old version keeps answering every request; a server that never becomes healthy fails its
 * replica with a reason saying so.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { startServingServer, waitFor, type ServingServer } from "./serving-server.js";

const RUN = { heartbeatMs: 250, leaseTtlMs: 3_000, sweepMs: 200, tickMs: 100, ackTimeoutMs: 3_000, startupGraceMs: 0 };
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../packages/agent/test-fixtures");
const WEIGHTS = [0.5, -1, 2];

let db: TestDb;
let server: ServingServer;
let dir: string;
let agent: RunningAgent | undefined;
type Caller = Awaited<ReturnType<typeof createServerCaller>>;

/** A study of two trials whose model's bias is the trial's number (so versions answer differently) and whose loss ranks trial 0 first. */
function studyYaml(name: string, serve: string): string {
  return `name: ${name}
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 2, max_parallel: 1}
run:
  command: /bin/sh ${path.join(dir, "train.sh")}
serve:
${serve}
`;
}

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-command-"));
  // Trials (and team servers) started by an agent running as root run as nobody, who must reach these.
  chmodSync(dir, 0o777);
  copyFileSync(path.join(fixtures, "team-server.mjs"), path.join(dir, "serve.mjs"));
  chmodSync(path.join(dir, "serve.mjs"), 0o644);
  writeFileSync(
    path.join(dir, "train.sh"),
    `cp ${path.join(dir, "serve.mjs")} "$AUTOGLM_OUTPUT_DIR/serve.mjs"
echo "{\\"weights\\": ${JSON.stringify(WEIGHTS)}, \\"bias\\": $AUTOGLM_TRIAL_NUMBER}" > "$AUTOGLM_OUTPUT_DIR/model.json"
echo "{\\"autoglm\\": 1, \\"final\\": {\\"loss\\": $AUTOGLM_TRIAL_NUMBER}}"
`,
    { mode: 0o755 },
  );
  server = await startServingServer(db, path.join(dir, "store"), RUN);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let caller: Caller;
let studies: { own: string; never: string };
let deployed: Awaited<ReturnType<Caller["endpoint"]["deploy"]>>;

const invoke = (rows: number[][]) =>
  fetch(`${deployed.url}/invocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${deployed.key}`, "content-type": "application/json" },
    body: JSON.stringify({ inputs: rows }),
  });
const predict = (row: number[], bias: number) => row.reduce((s, x, i) => s + x * WEIGHTS[i]!, bias);

it("a study with serve.command is registered as flavor command and answers through the gateway from the team's server", async () => {
  const team = await seedTeam(db, "serve-command");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  caller = await createServerCaller(
    { db, events: nullEvents, artifacts: server.artifacts, runLoop: server.gateway, options: { publicUrl: server.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  const own = await caller.study.create({
    projectId: team.projectId,
    yaml: studyYaml("own-server", "  command: node serve.mjs --port {port}"),
  });
  const never = await caller.study.create({
    projectId: team.projectId,
    yaml: studyYaml("never-healthy", "  command: node serve.mjs --port {port} --never-ready\n  startup_timeout_s: 1"),
  });
  studies = { own: own.id, never: never.id };
  agent = await startAgent({
    server: server.url,
    token: await seedToken(db, team),
    gpus: [],
    maxTrials: 1,
    workDir: path.join(dir, "work"),
    cwd: dir,
    heartbeatMs: RUN.heartbeatMs,
    ackTimeoutMs: 2_000,
    logger: silentLogger,
  });
  await agent.registered;
  for (const id of [own.id, never.id])
    await waitFor(async () => (await caller.study.get({ studyId: id })).state === "completed", 90_000, "the studies to complete");

  deployed = await caller.endpoint.deploy({ studyId: own.id, name: "own" });
  expect(deployed).toMatchObject({ created: true, version: 1, protocols: ["mlflow"] });
  const model = await caller.model.get({ name: deployed.model });
  expect(model.versions[0]).toMatchObject({ version: 1, flavor: "command" });
  expect(model.versions[0]!.lineage.serve).toEqual({
    command: "node serve.mjs --port {port}",
    health: "/ping",
    startup_timeout_s: 120,
  });

  const rows = [
    [1, 1, 1],
    [2, 0, 0],
  ];
  const answer = await waitFor(
    async () => {
      const res = await invoke(rows);
      return res.status === 200 ? { version: res.headers.get("x-autoglm-model-version"), body: await res.json() } : null;
    },
    60_000,
    "a ready replica to answer",
  );
  // The best trial is the one with the lowest number (its loss), and its number is the model's bias.
  const bias = Math.min(...(await caller.trial.list({ studyId: own.id })).items.map((t) => t.number));
  expect(answer).toEqual({ version: "1", body: { predictions: rows.map((r) => predict(r, bias)) } });
}, 240_000);

it("restarts the replica when the team's server is killed with SIGKILL, and serves again", async () => {
  const before = await invoke([[0, 0, 0]]);
  const pid = Number(before.headers.get("x-team-pid"));
  expect(pid).toBeGreaterThan(0);
  const replicaId = (await caller.endpoint.get({ name: "own" })).replicas.find((r) => r.state === "ready")!.id;
  process.kill(pid, "SIGKILL");
  const after = await waitFor(
    async () => {
      const res = await invoke([[0, 0, 0]]);
      const served = Number(res.headers.get("x-team-pid"));
      return res.status === 200 && served !== pid ? { version: res.headers.get("x-autoglm-model-version") } : null;
    },
    60_000,
    "the restarted team server answering",
  );
  expect(after).toEqual({ version: "1" });
  // The agent restarted its replica in place: the same replica, still ready, nothing failed.
  const replicas = (await caller.endpoint.get({ name: "own" })).replicas;
  expect(replicas.map((r) => [r.id, r.state])).toEqual([[replicaId, "ready"]]);
}, 120_000);

it("a version whose stored file was changed is refused naming the file, and the old version keeps serving", async () => {
  const trials = (await caller.trial.list({ studyId: studies.own })).items;
  const other = trials.find((t) => t.number === Math.max(...trials.map((x) => x.number)))!;
  const v2 = await caller.model.register({ trialId: other.id, name: deployed.model });
  expect(v2).toMatchObject({ version: 2, flavor: "command" });
  // Overwrite bytes of v2's model.json in the artifact store (the local store is a directory).
  const [row] = await db.query<{ store_key: string }>(
    "select store_key from trial_artifacts where trial_id = $1 and name = 'model.json'",
    [other.id],
  );
  const stored = path.join(server.artifacts.root, row!.store_key);
  const bytes = readFileSync(stored);
  bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x31 ? 0x32 : 0x31;
  writeFileSync(stored, bytes);

  // Requests keep going during the move and after it.
  const answers: Array<{ status: number; version: string | null }> = [];
  let going = true;
  const load = (async () => {
    while (going) {
      const res = await invoke([[1, 2, 3]]);
      await res.arrayBuffer();
      answers.push({ status: res.status, version: res.headers.get("x-autoglm-model-version") });
    }
  })();
  await caller.model.setAlias({ name: deployed.model, alias: "production", version: 2 });
  const refused = await waitFor(
    async () => {
      const e = await caller.endpoint.get({ name: "own" });
      return e.refusal?.retryAt ? e : null;
    },
    60_000,
    "the platform to stop starting version 2",
  );
  // A while longer: no fourth attempt, the old version still answering.
  await new Promise((r) => setTimeout(r, 1_500));
  going = false;
  await load;

  expect(answers.length).toBeGreaterThan(10);
  expect(answers.filter((a) => a.status !== 200 || a.version !== "1")).toEqual([]);
  const e = await caller.endpoint.get({ name: "own" });
  expect(e.targetVersion).toBe(2);
  expect(e.replicas.filter((r) => r.state === "ready").map((r) => r.version)).toEqual([1]);
  const v2Replicas = e.replicas.filter((r) => r.version === 2);
  expect(v2Replicas.map((r) => r.state)).toEqual(["failed", "failed", "failed"]);
  for (const r of v2Replicas)
    expect(r.reason).toMatch(/^refused to load .* version 2: file "model\.json": .*no longer matches its recorded SHA-256/);
  expect(refused.refusal).toMatchObject({ version: 2, failures: 3, reason: v2Replicas[0]!.reason });
  expect(e.refusal).toEqual(refused.refusal);
  const last = await invoke([[1, 2, 3]]);
  expect(last.headers.get("x-autoglm-model-version")).toBe("1");
}, 120_000);

it("a team's server that never becomes healthy fails its replica with a reason saying so", async () => {
  await caller.endpoint.deploy({ studyId: studies.never, name: "never" });
  const failed = await waitFor(
    async () => (await caller.endpoint.get({ name: "never" })).replicas.find((r) => r.state === "failed"),
    60_000,
    "the never-healthy replica to fail",
  );
  expect(failed.reason).toContain(
    'the serve command failed: the serve command\'s server ("node serve.mjs --port {port} --never-ready") did not answer GET /ping with 200 within serve.startup_timeout_s (1 s): it answered 503',
  );
  expect((await caller.endpoint.get({ name: "never" })).refusal).toMatchObject({ version: 1, reason: failed.reason });
}, 120_000);

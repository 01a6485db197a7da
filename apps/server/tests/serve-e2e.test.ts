/**
 * Serving end to end, nothing faked: a real agent (packages/agent, in this process) runs a
 * builtin-mlp study on the digits data and uploads its model; `endpoint.deploy` registers the
 * best trial and creates the endpoint; the reconciler places a replica on the agent, which
 * downloads the files through the replica file route, checks them, loads the model in a child
 * process and reports ready; a POST to /serve/<team>/<endpoint>/invocations through the gateway
 * returns predictions from that version.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { DIGITS_DEMO_STUDY_SPEC } from "@autoglm/scheduler";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { startServingServer, waitFor, type ServingServer } from "./serving-server.js";

const RUN = { heartbeatMs: 250, leaseTtlMs: 3_000, sweepMs: 200, tickMs: 100, ackTimeoutMs: 3_000, startupGraceMs: 0 };
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

let db: TestDb;
let server: ServingServer;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-e2e-"));
  // Trials started by an agent running as root run as nobody, who must reach the work dir.
  chmodSync(dir, 0o777);
  server = await startServingServer(db, path.join(dir, "store"), RUN);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("a builtin-mlp study run by a real agent, deployed, answers predictions through the gateway", async () => {
  const team = await seedTeam(db, "serve-e2e");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  const caller = await createServerCaller(
    { db, events: nullEvents, artifacts: server.artifacts, runLoop: server.gateway, options: { publicUrl: server.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  const spec = { ...DIGITS_DEMO_STUDY_SPEC, budget: { max_trials: 2, max_parallel: 1 }, register: undefined };
  const study = await caller.study.create({ projectId: team.projectId, spec });
  agent = await startAgent({
    server: server.url,
    token: await seedToken(db, team),
    gpus: [],
    workDir: path.join(dir, "work"),
    heartbeatMs: RUN.heartbeatMs,
    ackTimeoutMs: 2_000,
    logger: silentLogger,
  });
  await agent.registered;
  await waitFor(
    async () => (await caller.study.get({ studyId: study.id })).state === "completed",
    120_000,
    "the study to complete",
  );
  const deployed = await caller.endpoint.deploy({ studyId: study.id, name: "digits" });
  expect(deployed).toMatchObject({ created: true, version: 1, protocols: ["mlflow", "kserve-v2"] });
  const row = Array.from({ length: 64 }, (_, i) => (i % 16) / 16);
  const answer = await waitFor(
    async () => {
      const res = await fetch(`${deployed.url}/invocations`, {
        method: "POST",
        headers: { authorization: `Bearer ${deployed.key}`, "content-type": "application/json" },
        body: JSON.stringify({ inputs: [row, row] }),
      });
      return res.status === 200 ? { version: res.headers.get("x-autoglm-model-version"), body: await res.json() } : null;
    },
    60_000,
    "a ready replica to answer",
  );
  expect(answer.version).toBe("1");
  const predictions = (answer.body as { predictions: unknown[] }).predictions;
  expect(predictions).toHaveLength(2);
  const detail = await caller.endpoint.get({ name: "digits" });
  expect(detail.replicaCounts.ready).toBe(1);

  // Hot update: the other trial becomes version 2 and `production` moves to it. Requests keep
  // going the whole time; every one succeeds and names one version; v1's replica drains once
  // v2's is ready.
  const best = (await caller.study.get({ studyId: study.id })).best!.trialId;
  const other = (await caller.trial.list({ studyId: study.id })).items.find((t) => t.state === "complete" && t.id !== best);
  const v2 = await caller.model.register({ trialId: other!.id, name: deployed.model });
  await caller.model.setAlias({ name: deployed.model, alias: "production", version: v2.version });
  const versions: string[] = [];
  let failures = 0;
  await waitFor(
    async () => {
      const res = await fetch(`${deployed.url}/invocations`, {
        method: "POST",
        headers: { authorization: `Bearer ${deployed.key}`, "content-type": "application/json" },
        body: JSON.stringify({ inputs: [row] }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
      versions.push(res.headers.get("x-autoglm-model-version") ?? "none");
      return versions.at(-1) === String(v2.version);
    },
    60_000,
    "version 2 to answer",
  );
  expect(failures).toBe(0);
  expect(new Set(versions)).toEqual(new Set(["1", String(v2.version)]));
  const after = await waitFor(
    async () => {
      const d = await caller.endpoint.get({ name: "digits" });
      return d.replicas.some((r) => r.version === 1 && r.state === "stopped") ? d : null;
    },
    30_000,
    "v1's replica to drain",
  );
  expect(after.revisions[0]).toMatchObject({ version: v2.version, via: "alias" });
}, 240_000);

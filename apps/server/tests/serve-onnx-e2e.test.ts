/**
 * An ONNX model served end to end, nothing faked: a real agent runs a command study whose trial
 * writes a scikit-learn MLP exported with skl2onnx (packages/agent/test-fixtures) to
 * $AUTOGLM_OUTPUT_DIR/model.onnx; `endpoint.deploy` registers it (flavor `onnx`) and the
 * reconciler places a replica on the agent, which loads it with onnxruntime-node in its child
 * process; through the gateway, MLflow's /invocations answers the labels scikit-learn predicted
 * and KServe v2 answers its probabilities.
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
const expected = JSON.parse(readFileSync(path.join(fixtures, "digits-mlp.expected.json"), "utf8")) as {
  inputs: number[][];
  labels: number[];
  probabilities: number[][];
};

let db: TestDb;
let server: ServingServer;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-onnx-"));
  // Trials started by an agent running as root run as nobody, who must reach the work dir and
  // read the model it copies (the clone itself may be mode 0700).
  chmodSync(dir, 0o777);
  copyFileSync(path.join(fixtures, "digits-mlp.onnx"), path.join(dir, "digits-mlp.onnx"));
  chmodSync(path.join(dir, "digits-mlp.onnx"), 0o644);
  writeFileSync(
    path.join(dir, "copy-model.sh"),
    `cp ${path.join(dir, "digits-mlp.onnx")} "$AUTOGLM_OUTPUT_DIR/model.onnx"\necho '{"autoglm": 1, "final": {"loss": 0.1}}'\n`,
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

it("a command study that writes model.onnx is deployed and answers scikit-learn's predictions through the gateway", async () => {
  const team = await seedTeam(db, "serve-onnx");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  const caller = await createServerCaller(
    { db, events: nullEvents, artifacts: server.artifacts, runLoop: server.gateway, options: { publicUrl: server.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  const yaml = `name: sklearn-digits
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  command: /bin/sh ${path.join(dir, "copy-model.sh")}
`;
  const study = await caller.study.create({ projectId: team.projectId, yaml });
  agent = await startAgent({
    server: server.url,
    token: await seedToken(db, team),
    gpus: [],
    workDir: path.join(dir, "work"),
    cwd: dir,
    heartbeatMs: RUN.heartbeatMs,
    ackTimeoutMs: 2_000,
    logger: silentLogger,
  });
  await agent.registered;
  await waitFor(
    async () => (await caller.study.get({ studyId: study.id })).state === "completed",
    60_000,
    "the study to complete",
  );
  const deployed = await caller.endpoint.deploy({ studyId: study.id, name: "digits-onnx" });
  expect(deployed).toMatchObject({ created: true, version: 1, protocols: ["mlflow", "kserve-v2"] });
  const model = await caller.model.get({ name: deployed.model });
  expect(model.versions[0]).toMatchObject({ version: 1, flavor: "onnx" });

  const post = (p: string, body: unknown) =>
    fetch(`${deployed.url}${p}`, {
      method: "POST",
      headers: { authorization: `Bearer ${deployed.key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const answer = await waitFor(
    async () => {
      const res = await post("/invocations", { inputs: expected.inputs });
      return res.status === 200 ? { version: res.headers.get("x-autoglm-model-version"), body: await res.json() } : null;
    },
    60_000,
    "a ready replica to answer",
  );
  expect(answer).toEqual({ version: "1", body: { predictions: expected.labels } });

  const res = await post("/v2/models/digits-onnx/infer", {
    inputs: [{ name: "input", datatype: "FP32", shape: [expected.inputs.length, 64], data: expected.inputs.flat() }],
    outputs: [{ name: "probabilities" }],
  });
  expect(res.status).toBe(200);
  const { outputs } = (await res.json()) as { outputs: Array<{ name: string; shape: number[]; data: number[] }> };
  expect(outputs.map((o) => [o.name, o.shape])).toEqual([["probabilities", [10, 10]]]);
  expected.probabilities.flat().forEach((p, i) => expect(outputs[0]!.data[i]).toBeCloseTo(p, 5));

  // The runtime is loaded by the replica's child process only, never by the agent (this process).
  expect(readFileSync("/proc/self/maps", "utf8")).not.toMatch(/libonnxruntime/);
}, 180_000);

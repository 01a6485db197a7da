import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadModel } from "@autoglm/native";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cleanup, isAlive, waitFor } from "../testing/harness.js";
import { callReplica, startTestReplica, writeDigitsMlp } from "../testing/serve-fixtures.js";
import { replicaMainPath, type ReplicaProcess } from "./replica-process.js";

/**
 * The replica child's life (dist/serve/replica-main.js: build the package first): restarted
 * after kill -9 on its URL, given up after its restarts, drained on stop, gone with its agent.
 */

let dir: string;
let digits: Awaited<ReturnType<typeof writeDigitsMlp>>;
let replica: ReplicaProcess;
let url: string;
const secret = randomBytes(24).toString("hex");
const readies: string[] = [];
const failures: string[] = [];
let expected: number[];

function start(
  modelDir: string,
  onReady: (u: string) => void,
  onFailed: (r: string) => void,
  maxRestarts = 3,
  flavor: "builtin-mlp" | "builtin-glm" = "builtin-mlp",
): ReplicaProcess {
  return startTestReplica(modelDir, { secret, onReady, onFailed, maxRestarts, flavor });
}

beforeAll(async () => {
  expect(replicaMainPath()).toMatch(/dist\/serve\/replica-main\.js$/);
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-test-"));
  digits = await writeDigitsMlp(dir);
  const model = await loadModel(path.join(dir, "model.safetensors"));
  expected = Array.from(await model.predictClasses(digits.x.subarray(0, 3 * 64), 3));
  replica = start(
    dir,
    (u) => readies.push(u),
    (r) => failures.push(r),
  );
  url = await waitFor(() => readies[0], 30_000, "replica ready");
});

afterAll(async () => {
  await replica?.stop(1_000);
  if (dir) cleanup(dir);
});

const row = (i: number) => Array.from(digits.x.subarray(i * 64, (i + 1) * 64));
const auth = () => ({ authorization: `Bearer ${secret}` });
const call = (p: string, init?: Parameters<typeof callReplica>[2]) => callReplica(url + p, secret, init);

it("is restarted after kill -9, on the same URL, and serves again", async () => {
  const pid = replica.pid!;
  process.kill(pid, "SIGKILL");
  await waitFor(() => replica.pid !== undefined && replica.pid !== pid && !isAlive(pid), 20_000, "a new child");
  await waitFor(
    async () => (await call("/ping").catch(() => ({ status: 0 }))).status === 200,
    30_000,
    "the restarted replica answering",
  );
  expect(replica.url).toBe(url);
  expect((await call("/invocations", { body: JSON.stringify({ inputs: [row(0)] }) })).json).toEqual({
    predictions: [expected[0]],
  });
  expect(failures).toEqual([]);
});

it("gives up after its restarts with the reason, and fails at once on a model that does not load", async () => {
  const broken = mkdtempSync(path.join(tmpdir(), "autoglm-replica-broken-"));
  try {
    writeFileSync(path.join(broken, "model.safetensors"), "not a model");
    const failed: string[] = [];
    const p = start(
      broken,
      () => {},
      (r) => failed.push(r),
    );
    const reason = await waitFor(() => failed[0], 30_000, "the load failure");
    expect(reason).toMatch(/^the model could not be loaded: /);
    expect(p.pid).toBeUndefined();

    const crashing: string[] = [];
    const ready: string[] = [];
    const q = start(
      dir,
      (u) => ready.push(u),
      (r) => crashing.push(r),
      1,
    );
    await waitFor(() => ready[0], 30_000, "ready");
    process.kill(q.pid!, "SIGKILL");
    await waitFor(
      async () =>
        q.pid !== undefined &&
        (await fetch(`${q.url}/ping`, { headers: auth() }).then(
          (r) => r.ok,
          () => false,
        )),
      30_000,
      "restarted",
    );
    process.kill(q.pid!, "SIGKILL");
    expect(await waitFor(() => crashing[0], 30_000, "given up")).toMatch(/^the replica was killed by SIGKILL, after 1 restarts/);
  } finally {
    cleanup(broken);
  }
});

it("drains on stop: a request in flight is answered, new connections are refused, the process exits", async () => {
  const ready: string[] = [];
  const p = start(
    dir,
    (u) => ready.push(u),
    () => {},
  );
  const base = await waitFor(() => ready[0], 30_000, "ready");
  const pid = p.pid!;
  const body = JSON.stringify({ inputs: [row(0), row(1)] });
  // Headers and half the body sent: the request is in flight until the rest arrives.
  const { hostname: host, port } = new URL(base);
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        method: "POST",
        path: "/invocations",
        headers: { ...auth(), "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on("error", reject);
    req.write(body.slice(0, 100));
    setTimeout(() => req.end(body.slice(100)), 500);
  });
  await new Promise((r) => setTimeout(r, 200));
  const stopped = p.stop(5_000);
  await new Promise((r) => setTimeout(r, 100));
  await expect(fetch(`${base}/ping`, { headers: auth() })).rejects.toThrow();
  expect(await answered).toEqual({ status: 200, text: JSON.stringify({ predictions: expected.slice(0, 2) }) });
  await stopped;
  expect(isAlive(pid)).toBe(false);
});

it("exits when its agent dies (kill -9 of the parent): nobody renews its lease, so nobody is served", async () => {
  // A stand-in agent: a Node process that starts the replica with ReplicaProcess and prints it.
  const script = `
    const { ReplicaProcess } = await import(${JSON.stringify(path.resolve(path.dirname(replicaMainPath()), "replica-process.js"))});
    const p = new ReplicaProcess({
      config: { modelDir: ${JSON.stringify(dir)}, flavor: "builtin-mlp", endpoint: "digits", model: "m", version: 1, secret: ${JSON.stringify(secret)}, host: "127.0.0.1" },
      gpus: [], agentEnv: { PATH: process.env.PATH }, envAllowlist: [], maxRestarts: 3, startTimeoutMs: 30000,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      onReady: (url) => console.log(JSON.stringify({ pid: p.pid, url })),
      onFailed: (r) => console.log(JSON.stringify({ failed: r })),
    });
    p.start();`;
  const parent = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  parent.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const { pid, url: childUrl } = await waitFor(
    () => (out.includes("\n") ? (JSON.parse(out.split("\n")[0]!) as { pid: number; url: string }) : null),
    30_000,
    "the replica",
  );
  try {
    expect((await fetch(`${childUrl}/ping`, { headers: auth() })).status).toBe(200);
    parent.kill("SIGKILL");
    await waitFor(() => !isAlive(pid), 10_000, "the orphaned replica to exit");
    await expect(fetch(`${childUrl}/ping`, { headers: auth() })).rejects.toThrow();
  } finally {
    parent.kill("SIGKILL");
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
});

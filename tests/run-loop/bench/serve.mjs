#!/usr/bin/env node
// `pnpm bench:serve`: inference through the platform's /serve gateway against MLflow's scoring
// server on the same model, in one run on this machine.
// - platform: the whole server in a process of its own (bench/serve-server.mjs; PGlite, or a fresh
//   database on DATABASE_URL's PostgreSQL when it is set) and a real agent (packages/agent/dist/cli.js).
//   The agent trains the digits MLP with the builtin trainer (a 2-trial study, one hidden layer of 32)
//   and `deploy` puts its best trial on endpoint digits-mlp (flavor builtin-mlp, @autoglm/native);
//   a command study copies the scikit-learn MLPClassifier's ONNX export (bench/serve_peer.py: same
//   data, same split, one hidden layer of 32) to $AUTOGLM_OUTPUT_DIR/model.onnx and `deploy` puts it
//   on endpoint digits-sklearn (flavor onnx, onnxruntime-node). Both are called through the gateway
//   (endpoint key) and directly at their replica's URL (the replica's own secret), which shows the
//   gateway's cost.
// - peer: the same scikit-learn model saved with mlflow.sklearn and served by
//   `mlflow models serve --env-manager local` (uvicorn, its default 1 worker) from bench/.venv, made
//   here from bench/serve-requirements.txt on first run.
// - floor: a bare node:http server that reads the body and answers a constant: what loopback HTTP
//   and the load generator cost with no gateway and no model.
// - load: autocannon (in this process) at 1, 16 and 64 connections with a 1-row and a 64-row MLflow
//   `{"inputs": …}` body (the same held-out rows for every server), a warm-up then a fixed duration
//   each. Every answer must be 2xx and byte-identical to the one checked before the run (labels equal
//   to scikit-learn's for the ONNX and MLflow servers; 64 class ids for the builtin MLP); latencies
//   are kept per response in ms (autocannon's own histogram has 1 ms resolution).
// - CPUs: with 2+ CPUs and taskset, this process (the load generator) runs on CPU 0 and everything
//   under test (server, agent, replicas, MLflow, floor) on CPU 1, so the load generator never takes
//   CPU from a server; PostgreSQL itself (a system service) is not pinned. --no-pin: no pinning.
// - OpenAI route: the builtin glm's tokens/s through /v1/completions (streamed) at 1 and 8 concurrent
//   streams against the same generation in-process (bench/serve-openai.mjs); --no-openai skips it.
// Prints a markdown table and writes the results as JSON (--json, default in the temp dir).
// Not part of CI: a full run takes ~10 minutes (--quick: 2 s per point, ~4 minutes).
//   node tests/run-loop/bench/serve.mjs [--quick] [--duration S] [--warmup S] [--connections 1,16,64]
//     [--rows 1,64] [--targets gateway-mlp,direct-mlp,gateway-onnx,direct-onnx,mlflow,floor] [--no-pin]
//     [--no-openai] [--server-cpu-prof DIR] [--server-entry PATH] [--json PATH]
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "@autoglm/sdk";
import autocannon from "autocannon";
import { measureOpenAiRoute } from "./serve-openai.mjs";

const ALL_TARGETS = ["gateway-mlp", "direct-mlp", "gateway-onnx", "direct-onnx", "mlflow", "floor"];
const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    warmup: { type: "string" },
    connections: { type: "string", default: "1,16,64" },
    rows: { type: "string", default: "1,64" },
    targets: { type: "string", default: ALL_TARGETS.join(",") },
    "no-pin": { type: "boolean", default: false },
    /** Skip the glm on the OpenAI route (bench/serve-openai.mjs). */
    "no-openai": { type: "boolean", default: false },
    /** A directory for the server's V8 CPU profile (`node --cpu-prof`), written when it stops. */
    "server-cpu-prof": { type: "string" },
    /** Another build of @autoglm/server's entry (its index.js): serve-server.mjs starts that one. */
    "server-entry": { type: "string" },
    json: { type: "string" },
  },
});
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const VENV = path.join(HERE, ".venv");
const REQUIREMENTS = path.join(HERE, "serve-requirements.txt");
const DURATION_S = Number(opts.duration ?? (opts.quick ? 2 : 10));
const WARMUP_S = Number(opts.warmup ?? (opts.quick ? 1 : 2));
const CONNECTIONS = opts.connections.split(",").map(Number);
const ROW_COUNTS = opts.rows.split(",").map(Number);
const TARGETS = opts.targets.split(",");
/** Training (2 builtin trials of ~10 s), two deploys and the model loads fit well inside this on 2 cores. */
const SETUP_LIMIT_MS = 5 * 60_000;
const WATCHDOG_MS = 30 * 60_000;
const STUDY_TIMEOUT_MS = 180_000;

const log = (msg) => console.error(`bench:serve: ${msg}`);
const children = new Set();
const groups = new Set();
const work = mkdtempSync(path.join(tmpdir(), "autoglm-bench-serve-"));
// Trials started by an agent running as root run as nobody, who must reach the work dir and read
// the ONNX model its command copies.
chmodSync(work, 0o777);
function cleanUp() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const pid of groups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanUp);
const watchdog = setTimeout(() => {
  log(`over ${WATCHDOG_MS / 60_000} minutes, stopped`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

for (const t of TARGETS)
  if (!ALL_TARGETS.includes(t)) throw new Error(`--targets: unknown target ${t} (${ALL_TARGETS.join(", ")})`);
for (const built of ["apps/web/.next/BUILD_ID", "apps/server/dist/index.js", "packages/agent/dist/cli.js"]) {
  if (!existsSync(path.join(ROOT, built))) {
    console.error(`bench:serve: ${built} is missing; run \`pnpm build\` first`);
    process.exit(1);
  }
}

/** CPU 0 for this process (the load generator), CPU 1 for what is measured; null: no pinning. */
function pinning() {
  if (opts["no-pin"] || os.availableParallelism() < 2) return null;
  try {
    execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  } catch {
    log("taskset failed: not pinned");
    return null;
  }
  return { loadGenerator: "0", underTest: "1" };
}
const PIN = pinning();

/** Spawns `cmd args` on the CPU under test (taskset -c), with every process it starts. */
function spawnUnderTest(cmd, args, options) {
  const child = PIN ? spawn("taskset", ["-c", PIN.underTest, cmd, ...args], options) : spawn(cmd, args, options);
  children.add(child);
  return child;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function ensureVenv() {
  const py = path.join(VENV, "bin", "python");
  const stamp = path.join(VENV, ".serve-requirements.sha1");
  const want = createHash("sha1").update(readFileSync(REQUIREMENTS)).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) return;
  log("installing bench/.venv (mlflow, scikit-learn, skl2onnx, onnx): a few minutes, once");
  if (!existsSync(py)) execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
  execFileSync(py, ["-m", "pip", "install", "-q", "-r", REQUIREMENTS], { stdio: "inherit" });
  writeFileSync(stamp, want);
}

/** scikit-learn's MLP: model.onnx, mlflow-model/, rows.json (bench/serve_peer.py). */
function trainPeer() {
  const dir = path.join(work, "peer");
  mkdirSync(dir, { mode: 0o755 });
  const out = JSON.parse(
    execFileSync(
      path.join(VENV, "bin", "python"),
      [path.join(HERE, "serve_peer.py"), path.join(ROOT, "native/data/digits.csv"), dir],
      {
        encoding: "utf8",
      },
    ),
  );
  chmodSync(path.join(dir, "model.onnx"), 0o644);
  const rows = JSON.parse(readFileSync(path.join(dir, "rows.json"), "utf8"));
  log(
    `scikit-learn MLPClassifier: validation accuracy ${out.val_accuracy.toFixed(3)} (${out.train_rows} train / ${out.val_rows} rows)`,
  );
  return { dir, ...out, ...rows };
}

/** The server (bench/serve-server.mjs) and its first stdout line: url, tokens, project. */
async function startPlatform() {
  const dataDir = path.join(work, "server");
  mkdirSync(dataDir);
  const prof = opts["server-cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(opts["server-cpu-prof"])] : [];
  // The server's own defaults (LOG_LEVEL info: an access line per request, formatted, then dropped
  // by serve-server.mjs), as in production. DATABASE_URL would make it open that database itself;
  // BENCH_DATABASE_URL makes it clone a fresh one there.
  const env = { ...process.env };
  delete env.DATABASE_URL;
  if (opts["server-entry"]) env.BENCH_SERVER_ENTRY = path.resolve(opts["server-entry"]);
  if (process.env.DATABASE_URL) env.BENCH_DATABASE_URL = process.env.DATABASE_URL;
  const child = spawnUnderTest(process.execPath, [...prof, path.join(HERE, "serve-server.mjs"), dataDir], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before it was up`)));
  });
  child.stdout.resume();
  const replicasOf = (endpoint) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg?.type !== "replicas" || msg.endpoint !== endpoint) return;
        child.off("message", onMessage);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg.replicas);
      };
      child.on("message", onMessage);
      child.send({ type: "replicas", endpoint });
    });
  return {
    ...first,
    replicasOf,
    /** Moves the server, every thread of it, to `cpu` (taskset -a -p). */
    pinTo(cpu) {
      execFileSync("taskset", ["-a", "-p", "-c", cpu, String(child.pid)], { stdio: "ignore" });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

function startAgent(platform) {
  const workDir = path.join(work, "agent");
  mkdirSync(workDir, { mode: 0o777 });
  chmodSync(workDir, 0o777);
  return spawnUnderTest(
    process.execPath,
    [
      path.join(ROOT, "packages/agent/dist/cli.js"),
      "start",
      "--server",
      platform.url,
      "--name",
      "bench-serve",
      "--no-gpus",
      "--max-trials",
      "1",
      "--work-dir",
      workDir,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, AUTOGLM_TOKEN: platform.agentToken, LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

const MLP_STUDY = `name: bench-serve-mlp
objective: {metric: val_accuracy, direction: maximize}
space:
  lr: {type: float, low: 0.003, high: 0.03, log: true}
sampler: {name: random, seed: 1}
budget: {max_trials: 2, max_parallel: 1}
run:
  builtin: {trainer: mlp, dataset: digits, epochs: 20, params: {batch_size: 32, hidden: 32, layers: 1}}
  resources: {gpus: 0}
  timeout_minutes: 5
`;
const onnxStudy = (script) => `name: bench-serve-sklearn
objective: {metric: val_accuracy, direction: maximize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  command: /bin/sh ${script}
  resources: {gpus: 0}
`;

/** Runs the study on the agent, then "Deploy best" onto endpoint `name`; resolves once a replica is ready. */
async function studyAndDeploy(client, projectId, yaml, name) {
  const study = await client.studies.create({ projectId, yaml });
  const done = await waitFor(
    async () => {
      const s = await client.studies.get(study.id);
      return s.state === "completed" || s.state === "failed" ? s : null;
    },
    STUDY_TIMEOUT_MS,
    `study ${name} to complete`,
  );
  if (!done.best) throw new Error(`study ${name} ended ${done.state} without a best trial`);
  const t0 = Date.now();
  const deployed = await client.deploy({ studyId: study.id, name }, { timeoutMs: STUDY_TIMEOUT_MS });
  log(`${name}: ${deployed.model} v${deployed.version} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${deployed.url}`);
  return deployed;
}

/** The MLflow scoring server on the scikit-learn model, in its own process group (uvicorn is its child). */
async function startMlflow(peerDir) {
  const port = await freePort();
  const child = spawnUnderTest(
    path.join(VENV, "bin", "mlflow"),
    [
      "models",
      "serve",
      "-m",
      path.join(peerDir, "mlflow-model"),
      "--env-manager",
      "local",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
    ],
    // uvicorn is found on PATH by the command MLflow runs.
    { env: { ...process.env, PATH: `${path.join(VENV, "bin")}:${process.env.PATH}` }, stdio: "ignore", detached: true },
  );
  groups.add(child.pid);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/ping`)).ok, 120_000, "mlflow models serve");
  return url;
}

/** A bare node:http server: reads the body, answers a constant prediction. */
async function startFloor() {
  const port = await freePort();
  const code = `require("node:http").createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end('{"predictions": [0]}'); });
  }).listen(${port}, "127.0.0.1");`;
  spawnUnderTest(process.execPath, ["-e", code], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(url, { method: "POST", body: "{}" })).ok, 10_000, "the floor server");
  return url;
}

/** One checked answer: the body text every response under load must equal. */
async function checkedAnswer(target, body, rowCount, peer) {
  const res = await fetch(target.url, { method: "POST", headers: target.headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${target.name}: ${res.status} ${text.slice(0, 300)}`);
  const { predictions } = JSON.parse(text);
  const want = peer.sklearn.slice(0, rowCount);
  if (target.check === "sklearn" && JSON.stringify(predictions) !== JSON.stringify(want))
    throw new Error(
      `${target.name}: predictions ${JSON.stringify(predictions)} differ from scikit-learn's ${JSON.stringify(want)}`,
    );
  if (
    target.check === "classes" &&
    !(predictions.length === rowCount && predictions.every((p) => Number.isInteger(p) && p >= 0 && p < 10))
  )
    throw new Error(`${target.name}: ${text.slice(0, 300)} are not ${rowCount} class ids`);
  return text;
}

/** autocannon for `seconds`; with `record`, each 2xx response's latency (ms, full resolution). */
function load(target, body, expectBody, connections, seconds, record) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon(
      { url: target.url, method: "POST", headers: target.headers, body, connections, duration: seconds, expectBody },
      (err, result) => (err ? reject(err) : resolve({ result, latencies })),
    );
    if (record) instance.on("response", (_client, status, _bytes, ms) => status < 300 && latencies.push(ms));
  });
}

const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];

async function measure(target, rowCount, connections, body, expectBody) {
  await load(target, body, expectBody, connections, WARMUP_S, false);
  const { result, latencies } = await load(target, body, expectBody, connections, DURATION_S, true);
  const sorted = Float64Array.from(latencies).sort();
  const errors = result.errors + result.timeouts + result.non2xx + result.mismatches;
  return {
    target: target.name,
    rows: rowCount,
    connections,
    rps: latencies.length / result.duration,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    requests: latencies.length,
    errors,
    detail: { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, mismatches: result.mismatches },
  };
}

const find = (results, target, rows, connections) =>
  results.find((r) => r.target === target && r.rows === rows && r.connections === connections);
const fmtRps = (x) => Math.round(x).toLocaleString("en");
const fmtMs = (x) => (x === undefined ? "—" : x.toFixed(2));

function table(results) {
  const targets = TARGETS.filter((t) => results.some((r) => r.target === t));
  const lines = [`| rows | conns | ${targets.join(" | ")} |`, `|---:|---:|${targets.map(() => "---:").join("|")}|`];
  for (const rows of ROW_COUNTS) {
    for (const c of CONNECTIONS) {
      const cells = targets.map((t) => {
        const r = find(results, t, rows, c);
        return r
          ? `${fmtRps(r.rps)}/s · ${fmtMs(r.p50)} / ${fmtMs(r.p99)} ms${r.errors ? ` · **${r.errors} errors**` : ""}`
          : "—";
      });
      lines.push(`| ${rows} | ${c} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/** The issue's goals, each with the figures it was judged on (null where a figure was not measured). */
function goals(results) {
  const out = [];
  for (const rows of ROW_COUNTS) {
    const mlflow = find(results, "mlflow", rows, 16);
    for (const t of ["gateway-onnx", "gateway-mlp"]) {
      const ours = find(results, t, rows, 16);
      if (!ours || !mlflow) continue;
      const ratio = ours.rps / mlflow.rps;
      out.push({
        goal: `16 connections, ${rows}-row: ${t} ≥ 3× MLflow's requests/s`,
        value: `${ratio.toFixed(1)}×`,
        met: ratio >= 3,
      });
    }
    const gw = find(results, "gateway-mlp", rows, 1);
    const floor = find(results, "floor", rows, 1);
    if (gw) {
      out.push({
        goal: `1 connection, ${rows}-row: gateway-mlp p50 < 1 ms`,
        value: `${fmtMs(gw.p50)} ms (floor ${floor ? fmtMs(floor.p50) : "—"} ms)`,
        met: gw.p50 < 1,
      });
    }
    for (const [g, d] of [
      ["gateway-mlp", "direct-mlp"],
      ["gateway-onnx", "direct-onnx"],
    ]) {
      const a = find(results, g, rows, 1);
      const b = find(results, d, rows, 1);
      if (!a || !b) continue;
      out.push({
        goal: `1 connection, ${rows}-row: ${g} adds < 0.3 ms p50 over ${d}`,
        value: `+${fmtMs(a.p50 - b.p50)} ms`,
        met: a.p50 - b.p50 < 0.3,
      });
    }
  }
  return out;
}

/** The OpenAI goal: route tokens/s within 5 % of in-process, at 1 stream and at 8, per placement of the server. */
function openAiGoals(openai) {
  if (!openai) return [];
  if (openai.error)
    return [{ goal: "glm on the OpenAI route within 5 % of in-process tokens/s", value: openai.error, met: false }];
  return openai.placements.flatMap((placement) =>
    placement.rows.map((row) => ({
      goal: `glm, ${row.tokens} tokens × ${row.streams === 1 ? "1 stream" : `${row.streams} concurrent streams`}, ${placement.label}: OpenAI route through the gateway ≥ 95 % of in-process tokens/s`,
      value: `${Math.round(row.gateway)} vs ${Math.round(row.inProcess)} tokens/s (${(100 * row.gatewayVsInProcess).toFixed(1)} %; direct ${Math.round(row.direct)}, ${(100 * (row.direct / row.inProcess)).toFixed(1)} %)`,
      met: row.gatewayVsInProcess >= 0.95,
    })),
  );
}

const t0 = Date.now();
const loadBefore = os.loadavg();
ensureVenv();
const peer = trainPeer();
const platform = await startPlatform();
const results = [];
let openai = null;
try {
  const setup = setTimeout(() => {
    log(`setup took over ${SETUP_LIMIT_MS / 60_000} minutes, stopped`);
    process.exit(1);
  }, SETUP_LIMIT_MS);
  log(`server up at ${platform.url} (${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"})`);
  startAgent(platform);
  const client = createClient({ server: platform.url, token: platform.userToken });
  const copyScript = path.join(work, "copy-model.sh");
  writeFileSync(
    copyScript,
    `cp ${path.join(peer.dir, "model.onnx")} "$AUTOGLM_OUTPUT_DIR/model.onnx"\necho '{"autoglm": 1, "final": {"val_accuracy": ${peer.val_accuracy}}}'\n`,
    { mode: 0o755 },
  );
  const mlp = await studyAndDeploy(client, platform.projectId, MLP_STUDY, "digits-mlp");
  const onnx = await studyAndDeploy(client, platform.projectId, onnxStudy(copyScript), "digits-sklearn");
  const [mlpReplica] = await platform.replicasOf("digits-mlp");
  const [onnxReplica] = await platform.replicasOf("digits-sklearn");
  const json = { "content-type": "application/json" };
  const all = {
    "gateway-mlp": { url: `${mlp.url}/invocations`, headers: { ...json, authorization: `Bearer ${mlp.key}` }, check: "classes" },
    "direct-mlp": {
      url: `${mlpReplica.url}/invocations`,
      headers: { ...json, authorization: `Bearer ${mlpReplica.secret}` },
      check: "classes",
    },
    "gateway-onnx": {
      url: `${onnx.url}/invocations`,
      headers: { ...json, authorization: `Bearer ${onnx.key}` },
      check: "sklearn",
    },
    "direct-onnx": {
      url: `${onnxReplica.url}/invocations`,
      headers: { ...json, authorization: `Bearer ${onnxReplica.secret}` },
      check: "sklearn",
    },
    mlflow: TARGETS.includes("mlflow")
      ? { url: `${await startMlflow(peer.dir)}/invocations`, headers: json, check: "sklearn" }
      : null,
    floor: TARGETS.includes("floor") ? { url: `${await startFloor()}/invocations`, headers: json, check: "none" } : null,
  };
  const targets = TARGETS.map((name) => ({ name, ...all[name] }));
  clearTimeout(setup);

  const loadStart = os.loadavg();
  for (const rowCount of ROW_COUNTS) {
    const body = JSON.stringify({ inputs: peer.rows.slice(0, rowCount) });
    const expected = new Map();
    for (const t of targets) expected.set(t.name, await checkedAnswer(t, body, rowCount, peer));
    for (const c of CONNECTIONS) {
      // All servers back to back per point, so a change in the box's other load hits them alike.
      for (const t of targets) {
        const r = await measure(t, rowCount, c, body, expected.get(t.name));
        results.push(r);
        log(
          `${t.name.padEnd(12)} ${String(rowCount).padStart(2)} rows × ${String(c).padStart(2)} conns: ${fmtRps(r.rps).padStart(6)}/s  p50 ${fmtMs(r.p50)} ms  p99 ${fmtMs(r.p99)} ms${r.errors ? `  ${r.errors} ERRORS ${JSON.stringify(r.detail)}` : ""}`,
        );
      }
    }
  }
  if (!opts["no-openai"]) {
    const repeats = opts.quick ? 3 : 9;
    // A failure here keeps the load figures above: it is reported, and the run exits 1.
    // Twice with pinning: the server on the replica's CPU, as every load point above runs it, and
    // on the other CPU, as a deployment runs the gateway apart from the agents that serve.
    const placements = PIN
      ? [
          { key: "sharedCpu", label: `server, agent and replica on CPU ${PIN.underTest}`, cpu: PIN.underTest },
          {
            key: "ownCpu",
            label: `server on CPU ${PIN.loadGenerator} (with the bench's client), agent and replica on CPU ${PIN.underTest}`,
            cpu: PIN.loadGenerator,
          },
        ]
      : [{ key: "unpinned", label: "not pinned", cpu: null }];
    openai = await measureOpenAiRoute({
      client,
      platform,
      log,
      studyAndDeploy,
      spawnUnderTest,
      root: ROOT,
      work,
      repeats,
      placements,
    }).catch((err) => ({ error: String(err) }));
  }
  const loadEnd = os.loadavg();
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "cpu", memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    versions: {
      node: process.version,
      ...peer.versions,
      autocannon: JSON.parse(readFileSync(path.join(HERE, "../node_modules/autocannon/package.json"), "utf8")).version,
    },
    database: process.env.DATABASE_URL ? "postgresql" : "pglite",
    pinning: PIN ?? "none",
    loadAverage: { beforeSetup: loadBefore, beforeLoad: loadStart, after: loadEnd },
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    models: { sklearnValAccuracy: peer.val_accuracy, builtin: { model: mlp.model, version: mlp.version } },
    results,
    goals: [...goals(results), ...openAiGoals(openai)],
    openai,
  };
  const jsonPath = path.resolve(
    opts.json ?? path.join(tmpdir(), `autoglm-bench-serve-${report.date.replace(/[:.]/g, "-")}.json`),
  );
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(table(results));
  console.log("\nrequests/s · p50 / p99 latency; every answer 2xx and equal to the checked one unless errors are shown\n");
  for (const g of report.goals) console.log(`- ${g.met ? "met" : "MISSED"}: ${g.goal}: ${g.value}`);
  console.log(
    `\n(${report.machine.cpus} × ${report.machine.cpu}, Node ${process.version}, ${report.database}, ${PIN ? `load generator on CPU ${PIN.loadGenerator}, servers on CPU ${PIN.underTest}` : "not pinned"}, load average ${loadStart.map((x) => x.toFixed(2)).join(" ")} → ${loadEnd.map((x) => x.toFixed(2)).join(" ")}, ${WARMUP_S} s warm-up + ${DURATION_S} s per point; total ${((Date.now() - t0) / 1000).toFixed(0)} s; JSON ${jsonPath})`,
  );
  if (results.some((r) => r.errors > 0) || openai?.error) process.exitCode = 1;
} finally {
  await platform.stop();
  cleanUp();
}

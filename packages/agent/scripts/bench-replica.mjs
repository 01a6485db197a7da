#!/usr/bin/env node
// A quick local measurement of one serving replica (no gateway): a digits MLP trained here,
// served by dist/serve/replica-main.js, loaded by autocannon with a 1-row MLflow request at 1
// and 16 connections, beside a bare node:http server that answers a constant (the HTTP floor on
// this machine) and the model's predict called in-process. Latencies are each request's own
// time from autocannon's `response` event (its histograms round to whole milliseconds).
// Build first: pnpm --filter @autoglm/agent build. Usage: node scripts/bench-replica.mjs [seconds]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { fork } from "node:child_process";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { train } from "@autoglm/native";
import { loadDigits } from "@autoglm/native/data";
import { ReplicaProcess } from "../dist/serve/replica-process.js";

if (process.argv[2] === "--floor") {
  const floor = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end('{"predictions":[0]}'),
  );
  floor.keepAliveTimeout = 65_000;
  floor.listen(0, "127.0.0.1", () => process.send(floor.address().port));
  process.on("disconnect", () => process.exit(0));
} else await main();

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };

  async function trainedModelDir() {
    const dir = mkdtempSync(path.join(tmpdir(), "autoglm-bench-replica-"));
    const d = loadDigits();
    const { model } = await train({
      model: "mlp",
      config: { task: "classification", epochs: 5, seed: 1 },
      data: { x: d.x, y: d.y, rows: d.rows },
    }).done;
    await model.save(path.join(dir, "model.safetensors"));
    return { dir, model, row: Array.from(d.x.subarray(0, 64)) };
  }

  function startReplica(dir, secret) {
    return new Promise((resolve, reject) => {
      const p = new ReplicaProcess({
        config: {
          modelDir: dir,
          flavor: "builtin-mlp",
          endpoint: "digits",
          model: "digits-mlp",
          version: 1,
          secret,
          host: "127.0.0.1",
        },
        gpus: [],
        agentEnv: { PATH: process.env.PATH, AUTOGLM_QUIET: "1" },
        envAllowlist: [],
        logger: silent,
        maxRestarts: 0,
        startTimeoutMs: 60_000,
        onReady: (url) => resolve({ p, url }),
        onFailed: reject,
      });
      p.start();
    });
  }

  function quantile(sorted, q) {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  async function load(url, connections, request) {
    const times = [];
    const instance = autocannon({ url, connections, duration: seconds, ...request });
    instance.on("response", (_client, status, _bytes, ms) => status === 200 && times.push(ms));
    const result = await instance;
    times.sort((a, b) => a - b);
    return {
      connections,
      "req/s": Math.round(result.requests.average),
      "p50 ms": quantile(times, 0.5).toFixed(3),
      "p99 ms": quantile(times, 0.99).toFixed(3),
      errors: result.errors + result.non2xx,
    };
  }

  async function inProcess(model, row) {
    const x = Float32Array.from(row);
    for (let i = 0; i < 1000; i++) await model.predict(x, 1);
    const times = [];
    for (let i = 0; i < 20_000; i++) {
      const t = process.hrtime.bigint();
      await model.predict(x, 1);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { "p50 ms": quantile(times, 0.5).toFixed(3), "p99 ms": quantile(times, 0.99).toFixed(3) };
  }

  const { dir, model, row } = await trainedModelDir();
  const secret = randomBytes(24).toString("hex");
  const { p, url } = await startReplica(dir, secret);
  // In its own process, as the replica is, so it does not share the load generator's event loop.
  const floor = fork(fileURLToPath(import.meta.url), ["--floor"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const floorPort = await new Promise((r) => floor.once("message", r));
  const floorUrl = `http://127.0.0.1:${floorPort}/invocations`;
  const request = {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ inputs: [row] }),
  };
  try {
    console.log("predict() in-process, 1 row:", await inProcess(model, row));
    const rows = [];
    for (const c of [1, 16]) {
      rows.push({ target: "replica /invocations", ...(await load(`${url}/invocations`, c, request)) });
      rows.push({ target: "bare node:http (floor)", ...(await load(floorUrl, c, request)) });
    }
    console.table(rows);
  } finally {
    await p.stop(1_000);
    floor.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

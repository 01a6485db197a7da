#!/usr/bin/env node
// `pnpm bench:artifacts`: trial artifacts through the platform against a direct path, in one run,
// on the local-directory store and on an S3 server (moto, packages/artifacts/scripts/s3-test-server.sh).
// - platform: a real server process (bench/artifacts-server.mjs) with two running trials leased to
//   an agent token; uploads use the agent's route (PUT /agent-api/v1/trials/…/artifacts/<name>,
//   lease-fenced, SHA-256 announced), downloads the users' route (GET /api/artifacts/…, a read token);
// - peers: `cp` of the same files on the same disk (local store), and PutObject / lib-storage's
//   Upload / GetObject with the same @aws-sdk client against the same moto server (S3 store);
// - floor (local store only): a bare node:http server (bench/artifacts-floor-server.mjs) that drops
//   what a PUT sends and streams a GET's file, with nothing else on the path: what Node's HTTP stack
//   moves over loopback here, the most the platform's routes could reach;
// - the server's VmRSS (/proc/<pid>/status) sampled every 50 ms around each 1 GiB transfer, with the
//   peaks of its heap and ArrayBuffer bytes (process.memoryUsage(), sampled by the server itself).
// Files live under os.tmpdir() and are deleted at the end, also after a failure or the 10 min watchdog.
// The server's database: a fresh one on DATABASE_URL's PostgreSQL (default
// postgres://postgres:postgres@127.0.0.1:5432/postgres), or with --driver pglite the embedded one in
// its data dir. PGlite serves one statement at a time: 10,000 small files cost it 2-3× the time
// (73 against 263 downloads/s measured), which would take the full run past 10 minutes.
//   node bench/artifacts.mjs [--quick] [--stores local,s3] [--sets large,small] [--concurrency 4] [--driver pglite|pg] [--server-cpu-prof DIR]
import { execFile, spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import http from "node:http";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { startS3TestServer } from "@autoglm/artifacts/testing";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    stores: { type: "string", default: "local,s3" },
    /** "large" alone skips the 10,000 small files (both paths): a quicker run when tuning the large-file path. */
    sets: { type: "string", default: "large,small" },
    concurrency: { type: "string", default: "4" },
    driver: { type: "string", default: "pg" },
    /** A directory for the server's V8 CPU profile (`node --cpu-prof`), written when it stops. */
    "server-cpu-prof": { type: "string" },
  },
});
const MIB = 1024 * 1024;
/** --quick: a smoke run in well under a minute. */
const LARGE_MIB = values.quick ? 64 : 1024;
const SMALL_FILES = values.sets.split(",").includes("small") ? (values.quick ? 500 : 10_000) : 0;
const SMALL_BYTES = 4096;
/** Small files in flight at once, the same for the platform and its peer (`aws s3 cp` runs 10). */
const CONCURRENCY = Number(values.concurrency);
/** The S3 store's multipart settings (packages/artifacts s3-store.ts), for lib-storage's Upload: 5 MiB parts, 4 in flight. */
const PART_BYTES = 5 * MIB;
const QUEUE_SIZE = 4;
const WATCHDOG_MS = 10 * 60 * 1000;
const HERE = path.dirname(fileURLToPath(import.meta.url));

// The server serves the dashboard's production build; without one it cannot start.
if (!existsSync(path.join(HERE, "../../../apps/web/.next/BUILD_ID"))) {
  console.error("bench:artifacts: apps/web has no production build; run `pnpm build` first");
  process.exit(1);
}
const work = mkdtempSync(path.join(tmpdir(), "autoglm-bench-artifacts-"));
const children = new Set();
let moto;
function cleanUp() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (moto) process.kill(moto.pid, "SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
const watchdog = setTimeout(() => {
  console.error(`bench:artifacts: over ${WATCHDOG_MS / 60_000} minutes, stopped`);
  cleanUp();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const mibPerS = (bytes, ms) => bytes / MIB / (ms / 1000);
const now = () => performance.now();

/** The large file (random bytes, written in 8 MiB chunks) and the small files, with their SHA-256s. */
function makeSources() {
  const dir = path.join(work, "src");
  mkdirSync(path.join(dir, "small"), { recursive: true });
  const large = { abs: path.join(dir, "model.safetensors"), size: LARGE_MIB * MIB };
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(8 * MIB);
  const fd = openSync(large.abs, "w", 0o600);
  for (let i = 0; i < LARGE_MIB / 8; i++) {
    randomFillSync(chunk);
    hash.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  large.sha256 = hash.digest("hex");
  const small = [];
  for (let i = 0; i < SMALL_FILES; i++) {
    const name = `f${String(i).padStart(5, "0")}.bin`;
    const body = randomFillSync(Buffer.alloc(SMALL_BYTES));
    const abs = path.join(dir, "small", name);
    writeFileSync(abs, body);
    small.push({ name, abs, size: SMALL_BYTES, sha256: sha256(body) });
  }
  return { dir, large, small };
}

async function pool(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/**
 * VmRSS of the platform's process every 50 ms from now until stop(): the value at start and the
 * peak; and the peaks of its heap and ArrayBuffer bytes (process.memoryUsage(), which the server
 * samples every 50 ms and reports on SIGUSR2), to tell buffers from heap growth.
 */
async function sampleMemory(p) {
  const read = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))[1]) * 1024;
  await p.memoryPeaks(); // resets the server's peaks
  const start = read();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, read())), 50);
  return {
    async stop() {
      clearInterval(timer);
      peak = Math.max(peak, read());
      return { start, peak, growth: peak - start, ...(await p.memoryPeaks()) };
    },
  };
}

/** A fresh PostgreSQL database unless --driver pglite (PGlite in the server's data dir). */
function databaseEnv() {
  if (values.driver !== "pg") return {};
  return { BENCH_DATABASE_URL: process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres" };
}

function withoutDatabaseUrl(env) {
  const copy = { ...env };
  delete copy.DATABASE_URL;
  return copy;
}

function startPlatform(label, env) {
  return startServerProcess(
    [
      ...(values["server-cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["server-cpu-prof"]}`] : []),
      path.join(HERE, "artifacts-server.mjs"),
      path.join(work, `server-${label}`),
    ],
    // DATABASE_URL would point the server at the developer's database: only --driver pg names one.
    { ...withoutDatabaseUrl(process.env), ...databaseEnv(), ...env },
  );
}

/** A node process that prints one JSON line (at least its url) once it listens; stop() ends it with SIGTERM. */
async function startServerProcess(args, env) {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
  });
  const info = JSON.parse(first);
  return {
    ...info,
    /** The server's memory peaks since the last call (artifacts-server.mjs answers SIGUSR2 with a line). */
    memoryPeaks() {
      const answer = new Promise((resolve) => lines.once("line", (line) => resolve(JSON.parse(line).memory)));
      child.kill("SIGUSR2");
      return answer;
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      children.delete(child);
    },
  };
}

/**
 * node:http with kept-alive connections, as the SDK's own handler does for the direct peer
 * (fetch's web streams cost the client more than the server spends: 90 against 570 MiB/s for
 * one download measured here with curl as the reference).
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** Sends `body` (a Buffer or a stream) and resolves with the response, its body unread. */
function send(url, options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { ...options, agent: keepAlive }, resolve).on("error", reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

async function textOf(res) {
  let text = "";
  for await (const chunk of res) text += chunk;
  return text;
}

async function platformPut(p, trial, name, body, size, hash) {
  const res = await send(
    `${p.url}/agent-api/v1/trials/${trial.trialId}/attempts/${trial.attempt}/artifacts/${name}`,
    {
      method: "PUT",
      headers: {
        authorization: `Bearer ${p.agentToken}`,
        "x-autoglm-lease-token": trial.leaseToken,
        "x-autoglm-sha256": hash,
        "content-length": String(size),
        "content-type": "application/octet-stream",
      },
    },
    body,
  );
  const answer = await textOf(res);
  if (res.statusCode !== 201) throw new Error(`PUT ${name}: ${res.statusCode} ${answer}`);
}

let tokenTurn = 0;
async function platformGet(p, trial, name, dest, expected) {
  const token = p.readTokens[tokenTurn++ % p.readTokens.length];
  const res = await send(`${p.url}/api/artifacts/${trial.trialId}/${trial.attempt}/${name}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.statusCode !== 200) throw new Error(`GET ${name}: ${res.statusCode} ${await textOf(res)}`);
  if (res.headers["x-autoglm-sha256"] !== expected.sha256) throw new Error(`GET ${name}: another SHA-256`);
  await pipeline(res, createWriteStream(dest));
  if (statSync(dest).size !== expected.size) throw new Error(`GET ${name}: ${statSync(dest).size} bytes`);
}

/** "heap +H MiB, buffers +B MiB": the peaks of the server's heap and ArrayBuffer bytes over their start. */
function heapAndBuffers(m) {
  const mib = (bytes) => (bytes / MIB).toFixed(0);
  return `heap +${mib(m.heapPeak - m.heapStart)}, buffers +${mib(m.buffersPeak - m.buffersStart)} MiB`;
}

/** Prints each figure as it is measured (stderr), so a run cut short still shows what it got. */
function progress(row) {
  const rate = row.bytes
    ? `${mibPerS(row.bytes, row.ms).toFixed(0)} MiB/s`
    : `${(row.files / (row.ms / 1000)).toFixed(0)} files/s`;
  const rss = row.rss ? `, server RSS +${(row.rss.growth / MIB).toFixed(0)} MiB (${heapAndBuffers(row.rss)})` : "";
  console.error(`bench:artifacts: ${row.kind} ${row.path} ${row.what}: ${(row.ms / 1000).toFixed(2)} s, ${rate}${rss}`);
}

/** One store's run: the platform's four transfers, then the peer's, each timed; RSS around the large ones. */
async function measure(kind, src, s3) {
  const rows = [];
  const env = kind === "s3" ? s3.serverEnv : {};
  const p = await startPlatform(kind, env);
  const out = path.join(work, `out-${kind}`);
  mkdirSync(path.join(out, "platform-small"), { recursive: true });
  const { large, small } = src;
  try {
    // Warm-up (not timed): the first request compiles the route's code and prepares its statements.
    const warm = { body: randomFillSync(Buffer.alloc(SMALL_BYTES)), size: SMALL_BYTES };
    warm.sha256 = sha256(warm.body);
    await platformPut(p, p.trials.large, "warm-up", warm.body, warm.size, warm.sha256);
    await platformGet(p, p.trials.large, "warm-up", path.join(out, "warm-up"), warm);
    let rss;
    let t;
    // Twice: the first large transfer after start also grows the heap and buffer pools once.
    for (const [name, what] of [
      ["model.safetensors", `upload 1 × ${LARGE_MIB} MiB, first`],
      ["model-again.safetensors", `upload 1 × ${LARGE_MIB} MiB, again`],
    ]) {
      rss = await sampleMemory(p);
      t = now();
      await platformPut(p, p.trials.large, name, createReadStream(large.abs), large.size, large.sha256);
      rows.push({
        kind,
        path: "platform",
        set: "large",
        dir: "upload",
        what,
        ms: now() - t,
        bytes: large.size,
        rss: await rss.stop(),
      });
    }
    rss = await sampleMemory(p);
    t = now();
    await platformGet(p, p.trials.large, "model.safetensors", path.join(out, "platform-large"), large);
    rows.push({
      kind,
      path: "platform",
      set: "large",
      dir: "download",
      what: `download 1 × ${LARGE_MIB} MiB`,
      ms: now() - t,
      bytes: large.size,
      rss: await rss.stop(),
    });
    rmSync(path.join(out, "platform-large"));
    if (small.length) rows.push(...(await platformSmall(kind, p, small, out)));
  } finally {
    await p.stop();
  }
  if (kind === "local") rows.push(...(await floor(large, out)));
  const peerRows = kind === "s3" ? await directS3(s3, src, out) : await copies(src, out);
  // Without small files (--sets large) the peers' small-file steps ran on none: no row.
  rows.push(...peerRows.filter((r) => r.set !== "small" || small.length));
  rmSync(out, { recursive: true, force: true });
  for (const row of rows) progress(row);
  return rows;
}

/** The 4 KiB files through the platform, CONCURRENCY at a time: uploads, then downloads. */
async function platformSmall(kind, p, small, out) {
  const rows = [];
  let t = now();
  await pool(small, async (f) => platformPut(p, p.trials.small, f.name, await readFile(f.abs), f.size, f.sha256));
  rows.push({
    kind,
    path: "platform",
    set: "small",
    dir: "upload",
    what: `upload ${SMALL_FILES} × 4 KiB`,
    ms: now() - t,
    files: small.length,
  });
  t = now();
  await pool(small, (f) => platformGet(p, p.trials.small, f.name, path.join(out, "platform-small", f.name), f));
  rows.push({
    kind,
    path: "platform",
    set: "small",
    dir: "download",
    what: `download ${SMALL_FILES} × 4 KiB`,
    ms: now() - t,
    files: small.length,
  });
  return rows;
}

/** The large file up and down through a bare node:http server (artifacts-floor-server.mjs), as the platform's client sends it. */
async function floor(large, out) {
  const f = await startServerProcess([path.join(HERE, "artifacts-floor-server.mjs"), large.abs], process.env);
  const rows = [];
  try {
    const warm = await send(`${f.url}/warm-up`, { method: "PUT", headers: { "content-length": "1" } }, Buffer.from("x"));
    await textOf(warm);
    let t = now();
    const res = await send(
      `${f.url}/model.safetensors`,
      { method: "PUT", headers: { "content-length": String(large.size), "content-type": "application/octet-stream" } },
      createReadStream(large.abs),
    );
    const answer = JSON.parse(await textOf(res));
    if (res.statusCode !== 201 || answer.bytes !== large.size)
      throw new Error(`floor PUT: ${res.statusCode} ${JSON.stringify(answer)}`);
    rows.push({
      kind: "local",
      path: "floor",
      set: "large",
      dir: "upload",
      what: `upload 1 × ${LARGE_MIB} MiB`,
      ms: now() - t,
      bytes: large.size,
    });
    t = now();
    const got = await send(`${f.url}/model.safetensors`, {});
    await pipeline(got, createWriteStream(path.join(out, "floor-large")));
    if (statSync(path.join(out, "floor-large")).size !== large.size) throw new Error("floor GET: short body");
    rows.push({
      kind: "local",
      path: "floor",
      set: "large",
      dir: "download",
      what: `download 1 × ${LARGE_MIB} MiB`,
      ms: now() - t,
      bytes: large.size,
    });
    rmSync(path.join(out, "floor-large"));
  } finally {
    await f.stop();
  }
  return rows;
}

/** `cp` of the same files on the same disk: the local store's peer, for both directions. */
async function copies(src, out) {
  const run = promisify(execFile);
  let t = now();
  await run("cp", [src.large.abs, path.join(out, "cp-large")]);
  const rows = [
    { kind: "local", path: "cp", set: "large", what: `copy 1 × ${LARGE_MIB} MiB`, ms: now() - t, bytes: src.large.size },
  ];
  t = now();
  await run("cp", ["-r", path.join(src.dir, "small"), path.join(out, "cp-small")]);
  rows.push({
    kind: "local",
    path: "cp",
    set: "small",
    what: `copy ${SMALL_FILES} × 4 KiB`,
    ms: now() - t,
    files: src.small.length,
  });
  // The local store fsyncs what it stores; cp leaves it in the page cache. The durable copy, for reference:
  t = now();
  await run("cp", [src.large.abs, path.join(out, "cp-large-synced")]);
  await run("sync", [path.join(out, "cp-large-synced")]);
  rows.push({
    kind: "local",
    path: "cp + sync",
    set: "large",
    what: `copy 1 × ${LARGE_MIB} MiB`,
    ms: now() - t,
    bytes: src.large.size,
  });
  return rows;
}

/** The same @aws-sdk client straight to the same moto server, as `aws s3 cp` does (multipart for the large file). */
async function directS3(s3, src, out) {
  // The S3 store's client settings (s3-store.ts): no CRC32 on every request, path-style addressing.
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = s3.bucket;
  const rows = [];
  try {
    await client.send(new PutObjectCommand({ Bucket, Key: "direct/warm-up", Body: randomFillSync(Buffer.alloc(SMALL_BYTES)) }));
    let t = now();
    await new Upload({
      client,
      params: { Bucket, Key: "direct/model.safetensors", Body: createReadStream(src.large.abs) },
      partSize: PART_BYTES,
      queueSize: QUEUE_SIZE,
    }).done();
    rows.push({
      kind: "s3",
      path: "direct",
      set: "large",
      dir: "upload",
      what: `upload 1 × ${LARGE_MIB} MiB`,
      ms: now() - t,
      bytes: src.large.size,
    });
    t = now();
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "direct/model.safetensors" }));
    await pipeline(got.Body, createWriteStream(path.join(out, "direct-large")));
    rows.push({
      kind: "s3",
      path: "direct",
      set: "large",
      dir: "download",
      what: `download 1 × ${LARGE_MIB} MiB`,
      ms: now() - t,
      bytes: src.large.size,
    });
    rmSync(path.join(out, "direct-large"));
    mkdirSync(path.join(out, "direct-small"));
    t = now();
    await pool(src.small, async (f) =>
      client.send(new PutObjectCommand({ Bucket, Key: `direct/small/${f.name}`, Body: await readFile(f.abs) })),
    );
    rows.push({
      kind: "s3",
      path: "direct",
      set: "small",
      dir: "upload",
      what: `upload ${SMALL_FILES} × 4 KiB`,
      ms: now() - t,
      files: src.small.length,
    });
    t = now();
    await pool(src.small, async (f) => {
      const obj = await client.send(new GetObjectCommand({ Bucket, Key: `direct/small/${f.name}` }));
      await writeFile(path.join(out, "direct-small", f.name), await obj.Body.transformToByteArray());
    });
    rows.push({
      kind: "s3",
      path: "direct",
      set: "small",
      dir: "download",
      what: `download ${SMALL_FILES} × 4 KiB`,
      ms: now() - t,
      files: src.small.length,
    });
  } finally {
    client.destroy();
  }
  return rows;
}

async function startS3() {
  const server = await startS3TestServer();
  if ("skip" in server) throw new Error(server.skip);
  moto = server;
  const bucket = "bench";
  await server.createBucket(bucket);
  return {
    ...server,
    bucket,
    serverEnv: {
      ARTIFACT_STORE: `s3://${bucket}/platform`,
      AWS_ENDPOINT_URL_S3: server.endpoint,
      AWS_REGION: server.region,
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    },
  };
}

/** The rows as BENCHMARKS.md's table, with platform / peer for each transfer. */
function report(rows) {
  // The peer of a platform transfer: the same files, the same direction (`cp` stands for both).
  const peerOf = (r) =>
    rows.find(
      (q) =>
        q.kind === r.kind && !["platform", "floor"].includes(q.path) && q.set === r.set && (q.path === "cp" || q.dir === r.dir),
    );
  const floorOf = (r) => rows.find((q) => q.kind === r.kind && q.path === "floor" && q.set === r.set && q.dir === r.dir);
  const percent = (r, other) => (other ? `${((100 * other.ms) / r.ms).toFixed(0)}%` : "");
  const rate = (r) =>
    r.bytes ? `${mibPerS(r.bytes, r.ms).toFixed(0)} MiB/s` : `${(r.files / (r.ms / 1000)).toFixed(0)} files/s`;
  const lines = [
    "| store | path | transfer | time | throughput | platform / peer | platform / floor | server RSS growth (start → peak; peaks of heap, buffers) |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const platform = r.path === "platform";
    const rss = r.rss
      ? `${(r.rss.growth / MIB).toFixed(0)} MiB (${(r.rss.start / MIB).toFixed(0)} → ${(r.rss.peak / MIB).toFixed(0)} MiB; ${heapAndBuffers(r.rss)})`
      : "";
    const ratios = platform ? `${percent(r, peerOf(r))} | ${percent(r, floorOf(r))}` : " | ";
    lines.push(`| ${r.kind} | ${r.path} | ${r.what} | ${(r.ms / 1000).toFixed(2)} s | ${rate(r)} | ${ratios} | ${rss} |`);
  }
  return lines.join("\n");
}

try {
  const t0 = now();
  const src = makeSources();
  console.error(
    `bench:artifacts: sources ready (${LARGE_MIB} MiB + ${SMALL_FILES} × 4 KiB) in ${((now() - t0) / 1000).toFixed(1)} s`,
  );
  const rows = [];
  const stores = values.stores.split(",");
  if (stores.includes("local")) rows.push(...(await measure("local", src)));
  if (stores.includes("s3")) rows.push(...(await measure("s3", src, await startS3())));
  console.log(report(rows));
  console.log(
    `\n(${values.quick ? "--quick, " : ""}database ${values.driver}, small files ${CONCURRENCY} at a time; total ${((now() - t0) / 1000).toFixed(0)} s)`,
  );
} finally {
  await moto?.stop();
  moto = undefined;
  cleanUp();
}

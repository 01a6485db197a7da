#!/usr/bin/env node
// `pnpm bench:dashboard`: the study page at 10,000 and 100,000 finished trials against optuna-dashboard
// on the same trials, in one run (Debian's Chromium through playwright-core for both).
// - platform: the real server (apps/server/dist/main.js) on a PostgreSQL database of its own
//   (autoglm_bench_dash_<N> on DATABASE_URL's server, default postgres://postgres:postgres@127.0.0.1:5432).
//   A person signs up in the browser, makes a token, and creates the study with the SDK. The first
//   REAL_TRIALS trials go through the real write path (SDK ask, 20 reports, tell); the rest are bulk
//   INSERT … SELECT FROM unnest(…) through @autoglm/db's handle that COPY the real trials' rows: every
//   column of trials / trial_attempts / trial_values not listed in VARYING is taken from the real row
//   of trial 0, so a column another change adds is written as the real path writes it. The bench then
//   checks that a bulk row and a real row have the same non-null columns in each table.
// - peer: optuna + optuna-dashboard pinned in bench/requirements.txt, in bench/.venv (made here);
//   bench/optuna_peer.py writes the same trials (params, value, 20 intermediate values, times) into
//   SQLite, and `optuna-dashboard sqlite:///…` serves them on a loopback port.
// - measured per page load (a fresh browser context: empty cache, as a first visit): ms from
//   navigation until the history chart, the trial table's first row and the parallel-coordinates
//   chart are in the DOM, a chart's canvas once it says its marks are painted (a MutationObserver in
//   the page records performance.now()), the JS heap
//   (CDP Runtime.getHeapUsage, after a forced GC), bytes downloaded (CDP Network.loadingFinished,
//   encoded sizes); and on the server the p50 of 20 calls of study.history and of trial.list's first page.
// Not part of CI: it takes minutes (100,000 trials: ~2 M intermediate values to write twice).
//   node tests/e2e/bench/dashboard.mjs [--trials 10000,100000] [--loads 3] [--reuse] [--no-peer]
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createDb } from "@autoglm/db/client";
import { createClient } from "@autoglm/sdk";
import pg from "pg";
import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    trials: { type: "string", default: "10000,100000" },
    loads: { type: "string", default: "3" },
    /** Keep a study seeded by an earlier run (same N, same seed) instead of writing it again. */
    reuse: { type: "boolean", default: false },
    "no-peer": { type: "boolean", default: false },
    /** The server's entry script (another build of it, say); it reads the same environment as main.js. */
    "server-entry": { type: "string" },
    /** Print each request of each page load: start and end (ms since navigation) and size. */
    trace: { type: "boolean", default: false },
  },
});
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../../..");
const CHROMIUM = "/usr/bin/chromium";
const BASE_URL = process.env.DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const EMAIL = "bench-dashboard@example.com";
const PASSWORD = "correct horse battery staple";
const REAL_TRIALS = 3;
const STEPS = 20;
/** Trials per bulk statement: 2,000 × 20 intermediate values keeps one unnest under ~1 MB of parameters. */
const BULK = 2_000;
const API_CALLS = 20;
const PEER_DRAW_LIMIT_MS = 120_000;
const PAGE_DRAW_LIMIT_MS = 60_000;
const LOADS = Number(opts.loads);
const VENV = path.join(HERE, ".venv");

const SPACE = {
  lr: { type: "float", low: 1e-5, high: 1, log: true },
  weight_decay: { type: "float", low: 1e-6, high: 0.1, log: true },
  dropout: { type: "float", low: 0, high: 0.5 },
  momentum: { type: "float", low: 0.8, high: 0.99 },
  layers: { type: "int", low: 1, high: 8 },
  width: { type: "int", low: 16, high: 1024, log: true },
  batch_size: { type: "int", low: 16, high: 512 },
  activation: { type: "categorical", choices: ["relu", "gelu", "tanh", "silu"] },
};
const specYaml = (n) => `name: bench-dashboard-${n}
objective: {metric: val_loss, direction: minimize}
space:
${Object.entries(SPACE)
  .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
  .join("\n")}
sampler: {name: random, seed: 1}
budget: {max_trials: ${n}, max_parallel: 8}
`;

const children = new Set();
const work = mkdtempSync(path.join(tmpdir(), "autoglm-bench-dashboard-"));
function cleanUp() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanUp);
const log = (msg) => console.error(`bench:dashboard: ${msg}`);
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** mulberry32: the same trials every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleParams(r) {
  const logU = (lo, hi) => Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));
  return {
    lr: logU(1e-5, 1),
    weight_decay: logU(1e-6, 0.1),
    dropout: r() * 0.5,
    momentum: 0.8 + r() * 0.19,
    layers: 1 + Math.floor(r() * 8),
    width: Math.min(1024, Math.round(logU(16, 1024))),
    batch_size: 16 + Math.floor(r() * 497),
    activation: SPACE.activation.choices[Math.floor(r() * 4)],
  };
}

/** A made-up validation loss with a clear optimum, and its 20-step learning curve ending at it. */
function lossOf(p, r) {
  const act = { relu: 0.05, gelu: 0, tanh: 0.15, silu: 0.02 }[p.activation];
  const value =
    0.1 +
    0.08 * (Math.log10(p.lr) + 2.5) ** 2 +
    0.02 * (Math.log10(p.weight_decay) + 4) ** 2 +
    (p.dropout - 0.2) ** 2 +
    Math.abs(p.momentum - 0.9) +
    0.03 * Math.abs(p.layers - 4) +
    0.01 * (Math.log2(p.width) - 8) ** 2 +
    0.1 * Math.abs(Math.log2(p.batch_size / 128)) +
    act +
    0.05 * r();
  const curve = Array.from({ length: STEPS }, (_, s) => value * (1 + 1.5 * Math.exp(-s / 4)) + 0.01 * r() * (STEPS - 1 - s));
  curve[STEPS - 1] = value;
  return { value, curve };
}

/** The N trials of the study: params, loss, curve, times (bulk ones dated before the real ones). */
function makeTrials(n, realParams) {
  const r = rng(n);
  const start0 = Date.now() - (n * 10_000 + 86_400_000);
  return Array.from({ length: n }, (_, i) => {
    const params = i < realParams.length ? realParams[i] : sampleParams(r);
    const { value, curve } = lossOf(params, r);
    const start = start0 + i * 10_000;
    return { params, value, curve, start, end: start + 30_000 + Math.floor(r() * 90_000) };
  });
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

async function waitHttp(url, child, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} not up within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function startPlatform(databaseUrl) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(work, "server-"));
  const entry = opts["server-entry"] ?? path.join(ROOT, "apps/server/dist/main.js");
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: url,
      AUTOGLM_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: "bench-only-secret-0123456789abcdef0123456789abcdef",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.add(child);
  await waitHttp(`${url}/healthz`, child, 90_000);
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Signs the bench's person up (first run) or in, and returns the browser state plus an API token. */
async function signIn(browser, url, fresh) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  if (fresh) {
    await page.goto(`${url}/signup`);
    await page.fill("#email", EMAIL);
    await page.fill("#name", "Bench");
    await page.fill("#password", PASSWORD);
    await page.fill("#teamName", "Bench");
    await page.click('[data-testid="signup-submit"]');
  } else {
    await page.goto(`${url}/signin`);
    await page.fill("#email", EMAIL);
    await page.fill("#password", PASSWORD);
    await page.click('[data-testid="signin-submit"]');
  }
  await page.waitForURL((u) => !/^\/sign(up|in)/.test(u.pathname), { timeout: 30_000 });
  await page.goto(`${url}/settings/tokens`);
  await page.fill('[data-testid="token-name"]', `bench-${Date.now()}`);
  await page.click('[data-testid="create-token"]');
  const token = await page.inputValue('[data-testid="token-reveal-value"]', { timeout: 30_000 });
  const state = await context.storageState();
  await context.close();
  return { state, token };
}

/** The columns of `table` a bulk row takes from its arrays; every other column is the real row's. */
const VARYING = {
  trials: ["id", "number", "params", "value", "started_at", "finished_at", "created_at", "updated_at"],
  trial_attempts: ["trial_id", "started_at", "ended_at"],
  trial_values: ["trial_id", "step", "value", "created_at"],
};

async function columnsOf(db, table) {
  const rows = await db.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

/** INSERT … SELECT FROM unnest($arrays) with the rest of the columns copied from the template row. */
async function bulkStatement(db, table, types, templateWhere) {
  const cols = await columnsOf(db, table);
  const copied = cols.filter((c) => !VARYING[table].includes(c));
  const varying = Object.keys(types);
  const list = [...varying, ...copied].map((c) => `"${c}"`).join(", ");
  const arrays = varying.map((c, i) => `$${i + 1}::${types[c]}[]`).join(", ");
  const select = [...varying.map((c) => `u."${c}"`), ...copied.map((c) => `tpl."${c}"`)].join(", ");
  return `INSERT INTO ${table} (${list})
    SELECT ${select} FROM unnest(${arrays}) AS u(${varying.map((c) => `"${c}"`).join(", ")}),
    (SELECT * FROM ${table} WHERE ${templateWhere} LIMIT 1) tpl`;
}

/** Which columns are non-null in a row, for the same-rows check. */
async function nonNullColumns(db, table, where, params) {
  const [row] = await db.query(`SELECT * FROM ${table} WHERE ${where} LIMIT 1`, params);
  return Object.keys(row)
    .filter((k) => row[k] !== null)
    .sort()
    .join(",");
}

/** A study of N trials: REAL_TRIALS through the SDK, then the rest as copies of those rows. */
async function seed(url, databaseUrl, client, n) {
  const project = await client.projects.create({ name: `bench-${n}` });
  const study = await client.studies.create({ projectId: project.id, yaml: specYaml(n) });
  const asked = [];
  for (let i = 0; i < REAL_TRIALS; i++) asked.push(await client.trials.ask(study.id));
  const trials = makeTrials(
    n,
    asked.map((t) => t.params),
  );
  for (const [i, t] of asked.entries()) {
    for (let s = 0; s < STEPS; s++) await client.trials.report(t.trialId, s, trials[i].curve[s]);
    await client.trials.tell(t.trialId, trials[i].value);
  }
  const db = await createDb({ url: databaseUrl, migrate: false, poolSize: 2 });
  try {
    const tpl = `study_id = '${study.id}' AND number = 0`;
    const [{ id: tplId }] = await db.query(`SELECT id FROM trials WHERE ${tpl}`);
    const insTrials = await bulkStatement(
      db,
      "trials",
      {
        id: "uuid",
        number: "int",
        params: "jsonb",
        value: "float8",
        started_at: "timestamptz",
        finished_at: "timestamptz",
        created_at: "timestamptz",
        updated_at: "timestamptz",
      },
      tpl,
    );
    const insAttempts = await bulkStatement(
      db,
      "trial_attempts",
      { trial_id: "uuid", started_at: "timestamptz", ended_at: "timestamptz" },
      `trial_id = '${tplId}'`,
    );
    const insValues = await bulkStatement(
      db,
      "trial_values",
      { trial_id: "uuid", step: "int", value: "float8", created_at: "timestamptz" },
      `trial_id = '${tplId}'`,
    );
    const t0 = now();
    for (let from = REAL_TRIALS; from < n; from += BULK) {
      const batch = trials.slice(from, Math.min(n, from + BULK));
      const ids = batch.map(() => crypto.randomUUID());
      const iso = (ms) => new Date(ms).toISOString();
      await db.query(insTrials, [
        ids,
        batch.map((_, i) => from + i),
        batch.map((t) => JSON.stringify(t.params)),
        batch.map((t) => t.value),
        batch.map((t) => iso(t.start)),
        batch.map((t) => iso(t.end)),
        batch.map((t) => iso(t.start)),
        batch.map((t) => iso(t.end)),
      ]);
      await db.query(insAttempts, [ids, batch.map((t) => iso(t.start)), batch.map((t) => iso(t.end))]);
      const vIds = [];
      const steps = [];
      const vals = [];
      const at = [];
      for (const [i, t] of batch.entries()) {
        for (let s = 0; s < STEPS; s++) {
          vIds.push(ids[i]);
          steps.push(s);
          vals.push(t.curve[s]);
          at.push(iso(t.start + ((t.end - t.start) * (s + 1)) / STEPS));
        }
      }
      await db.query(insValues, [vIds, steps, vals, at]);
      if ((from - REAL_TRIALS) % 20_000 < BULK) log(`${n}: ${from + batch.length} trials written`);
    }
    // What the last tell does to the study: the best trial, the number counter, completion.
    await db.query(
      `UPDATE studies s SET next_trial_number = $2, state = 'completed', stopped_at = now(), updated_at = now(),
         best_value = b.value, best_trial_id = b.id
       FROM (SELECT id, value FROM trials WHERE study_id = $1 AND state = 'complete' ORDER BY value ASC LIMIT 1) b
       WHERE s.id = $1`,
      [study.id, n],
    );
    await db.query("ANALYZE trials; ANALYZE trial_values; ANALYZE trial_attempts");
    for (const [table, key] of [
      ["trials", "id"],
      ["trial_attempts", "trial_id"],
      ["trial_values", "trial_id"],
    ]) {
      const [{ id: bulkId }] = await db.query(`SELECT id FROM trials WHERE study_id = $1 AND number = $2`, [study.id, n - 1]);
      const real = await nonNullColumns(db, table, `${key} = $1`, [tplId]);
      const bulk = await nonNullColumns(db, table, `${key} = $1`, [bulkId]);
      if (real !== bulk) throw new Error(`${table}: a bulk row sets ${bulk}, the real path ${real}`);
    }
    const [{ count }] = await db.query(
      `SELECT count(*)::int AS count FROM trial_values v JOIN trials t ON t.id = v.trial_id WHERE t.study_id = $1`,
      [study.id],
    );
    if (count !== n * STEPS) throw new Error(`${count} intermediate values, ${n * STEPS} expected`);
    log(`${n}: seeded in ${((now() - t0) / 1000).toFixed(1)} s (bulk), rows match the real path's`);
  } finally {
    await db.close();
  }
  return { studyId: study.id, trials };
}

/** Records in the page when each selector (or every one of a list) first matches (performance.now(), ms since navigation). */
function markerScript(selectors) {
  return `(() => {
    const sel = ${JSON.stringify(selectors)};
    window.__drawn = {};
    const check = () => {
      for (const [k, s] of Object.entries(sel))
        if (!(k in window.__drawn) && [s].flat().every((q) => document.querySelector(q))) window.__drawn[k] = performance.now();
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
  })();`;
}

/** One first visit: time until each marker, bytes downloaded, JS heap. */
async function measureLoad(browser, { url, state, selectors, limitMs }) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
    ...(state ? { storageState: state } : {}),
  });
  const page = await context.newPage();
  await page.addInitScript(markerScript(selectors));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const sizes = new Map();
  let bytes = 0;
  let apiBytes = 0;
  const started = new Map();
  let t0;
  cdp.on("Network.requestWillBeSent", (e) => started.set(e.requestId, { url: e.request.url, at: e.timestamp }));
  cdp.on("Network.responseReceived", (e) => sizes.set(e.requestId, e.response.url));
  cdp.on("Network.loadingFinished", (e) => {
    const req = started.get(e.requestId);
    t0 ??= req?.at;
    if (opts.trace && req) {
      const ms = (x) => ((x - t0) * 1000).toFixed(0);
      log(`  ${ms(req.at)} → ${ms(e.timestamp)} ms ${(e.encodedDataLength / 1e3).toFixed(0)} kB ${req.url.slice(0, 160)}`);
    }
    bytes += e.encodedDataLength;
    if (/\/api\//.test(sizes.get(e.requestId) ?? "")) apiBytes += e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "commit" });
  const names = Object.keys(selectors);
  const done = await page
    .waitForFunction((n) => n.every((k) => k in globalThis.__drawn), names, { timeout: limitMs, polling: 50 })
    .then(() => true)
    .catch(() => false);
  const drawn = await page.evaluate(() => globalThis.__drawn);
  // Requests the page makes right after its first paint still count (what a reader waits for).
  await page.waitForTimeout(1000);
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  await context.close();
  return { done, drawn, bytes, apiBytes, heapUsed: heap.usedSize };
}

/** p50 of N calls of a tRPC query over HTTP with the token, as the SDK sends it. */
async function p50(url, token, procedure, input) {
  const q = `${url}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const times = [];
  let size = 0;
  for (let i = 0; i < API_CALLS + 1; i++) {
    const t = now();
    const res = await fetch(q, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${procedure}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
    if (i > 0) times.push(now() - t); // the first call warms the route
    size = body.byteLength;
  }
  return { ms: median(times), bytes: size };
}

function ensureVenv() {
  const py = path.join(VENV, "bin", "python");
  const req = readFileSync(path.join(HERE, "requirements.txt"));
  const stamp = path.join(VENV, ".requirements.sha1");
  const want = createHash("sha1").update(req).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) return VENV;
  log("creating bench/.venv (optuna, optuna-dashboard)");
  if (!existsSync(py)) execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
  execFileSync(py, ["-m", "pip", "install", "-q", "-r", path.join(HERE, "requirements.txt")], { stdio: "inherit" });
  writeFileSync(stamp, want);
  return VENV;
}

/** The same trials in Optuna's SQLite storage, served by optuna-dashboard, measured the same way. */
async function measurePeer(browser, n, trials) {
  const venv = ensureVenv();
  const dir = mkdtempSync(path.join(work, "optuna-"));
  const data = path.join(dir, "trials.json");
  const iso = (ms) => new Date(ms).toISOString();
  writeFileSync(
    data,
    JSON.stringify({
      name: `bench-dashboard-${n}`,
      direction: "minimize",
      space: SPACE,
      trials: trials.map((t) => ({ params: t.params, value: t.value, iv: t.curve, start: iso(t.start), end: iso(t.end) })),
    }),
  );
  const dbFile = path.join(dir, "optuna.sqlite3");
  const written = JSON.parse(
    execFileSync(path.join(venv, "bin", "python"), [path.join(HERE, "optuna_peer.py"), data, dbFile], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    }),
  );
  log(
    `${n}: optuna storage written (${written.api_trials} by add_trials in ${written.api_s.toFixed(1)} s, the rest copied in ${written.bulk_s.toFixed(1)} s)`,
  );
  const port = await freePort();
  const child = spawn(
    path.join(venv, "bin", "optuna-dashboard"),
    [`sqlite:///${dbFile}`, "--host", "127.0.0.1", "--port", String(port)],
    {
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  children.add(child);
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/api/meta`, child, 60_000);
    const loads = [];
    for (let i = 0; i < LOADS; i++) {
      const m = await measureLoad(browser, {
        url: `${url}/dashboard/studies/1`,
        selectors: { history: "#plot-history .scatterlayer .trace" },
        limitMs: PEER_DRAW_LIMIT_MS,
      });
      loads.push(m);
      log(
        `${n}: optuna-dashboard load ${i + 1}: ${m.done ? `${m.drawn.history.toFixed(0)} ms` : "> 120 s"}, ${(m.bytes / 1e6).toFixed(2)} MB`,
      );
      if (!m.done) break; // another 2 minutes would say the same
    }
    return { ...written, loads };
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchOne(browser, n) {
  const dbName = `autoglm_bench_dash_${n}`;
  const databaseUrl = withDatabase(BASE_URL, dbName);
  const exists = (await admin(`SELECT 1 FROM pg_database WHERE datname = '${dbName}'`)).length > 0;
  let reuse = false;
  if (opts.reuse && exists) {
    const db = await createDb({ url: databaseUrl, migrate: true, poolSize: 1 });
    const rows = await db.query(`SELECT count(*)::int AS c FROM studies WHERE name = $1 AND next_trial_number = $2`, [
      `bench-dashboard-${n}`,
      n,
    ]);
    await db.close();
    reuse = rows[0].c === 1;
  }
  if (!reuse) {
    if (exists) await admin(`DROP DATABASE ${dbName} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${dbName}`);
    await (await createDb({ url: databaseUrl, poolSize: 1 })).close(); // migrated as the server would
  }
  const platform = await startPlatform(databaseUrl);
  try {
    const { state, token } = await signIn(browser, platform.url, !reuse);
    const client = createClient({ server: platform.url, token });
    let studyId;
    let trials;
    if (reuse) {
      const [s] = (await client.studies.list({})).filter((x) => x.name === `bench-dashboard-${n}`);
      studyId = s.id;
      const realParams = (
        await client.trials.list({ studyId, limit: REAL_TRIALS, sort: { by: "number", dir: "asc" } })
      ).items.map((t) => t.params);
      trials = makeTrials(n, realParams);
      log(`${n}: reusing ${dbName}`);
    } else {
      ({ studyId, trials } = await seed(platform.url, databaseUrl, client, n));
    }
    // Each query the page sends, once, so a slow page can be traced to its procedure.
    for (const [proc, input] of [
      ["study.get", { studyId }],
      ["study.history", { studyId }],
      ["study.plotTrials", { studyId }],
      ["study.curves", { studyId }],
      ["study.importance", { studyId }],
      ["study.improvement", { studyId }],
      ["trial.list", { studyId, limit: 100, sort: { by: "number", dir: "desc" } }],
    ]) {
      const t = now();
      const res = await fetch(`${platform.url}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const size = (await res.arrayBuffer()).byteLength;
      log(`${n}: ${proc} ${res.status} in ${(now() - t).toFixed(0)} ms, ${(size / 1e3).toFixed(0)} kB`);
    }
    // A chart of more than CANVAS_FROM marks draws them on a canvas that says data-drawn once they are on it.
    const selectors = {
      history: [
        '[data-testid="history-chart"] .recharts-line-curve',
        '[data-testid="history-canvas"][data-drawn], [data-testid="history-chart"] .recharts-scatter-symbol',
      ],
      table: '[data-testid="trial-row"]',
      parallel: '[data-testid="parallel-line"], [data-testid="parallel-canvas"][data-drawn]',
    };
    const loads = [];
    for (let i = 0; i < LOADS; i++) {
      const m = await measureLoad(browser, {
        url: `${platform.url}/studies/${studyId}`,
        state,
        selectors,
        limitMs: PAGE_DRAW_LIMIT_MS,
      });
      loads.push(m);
      const d = m.drawn;
      log(
        `${n}: study page load ${i + 1}: history ${d.history?.toFixed(0)} ms, table ${d.table?.toFixed(0)} ms, parallel ${d.parallel?.toFixed(0)} ms, ${(m.bytes / 1e6).toFixed(2)} MB (${(m.apiBytes / 1e6).toFixed(2)} MB API), heap ${(m.heapUsed / 1e6).toFixed(1)} MB`,
      );
    }
    const history = await p50(platform.url, token, "study.history", { studyId });
    const table = await p50(platform.url, token, "trial.list", { studyId, limit: 100, sort: { by: "number", dir: "desc" } });
    const plot = await p50(platform.url, token, "study.plotTrials", { studyId });
    log(
      `${n}: p50 study.history ${history.ms.toFixed(1)} ms (${history.bytes} B), trial.list ${table.ms.toFixed(1)} ms, study.plotTrials ${plot.ms.toFixed(1)} ms`,
    );
    await platform.stop();
    const peer = opts["no-peer"] ? null : await measurePeer(browser, n, trials);
    return { n, loads, api: { history, table, plot }, peer };
  } finally {
    await platform.stop().catch(() => undefined);
  }
}

const fmtMs = (x) => (x === undefined ? "—" : Number.isFinite(x) ? `${Math.round(x)} ms` : `> ${PAGE_DRAW_LIMIT_MS / 1000} s`);
const fmtMb = (x) => `${(x / 1e6).toFixed(2)} MB`;

function report(results) {
  const lines = [
    "| trials | page | history drawn | table rows | parallel drawn | fully drawn | downloaded (API) | JS heap | p50 study.history | p50 trial.list page 1 | p50 study.plotTrials |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const full = (m) => (m.done ? Math.max(...Object.values(m.drawn)) : undefined);
    const med = (f) => median(r.loads.map(f).map((x) => x ?? Infinity));
    const fully = med(full);
    lines.push(
      `| ${r.n.toLocaleString("en")} | Open-AutoGLM | ${fmtMs(med((m) => m.drawn.history))} | ${fmtMs(med((m) => m.drawn.table))} | ${fmtMs(med((m) => m.drawn.parallel))} | ${fmtMs(fully)} | ${fmtMb(med((m) => m.bytes))} (${fmtMb(med((m) => m.apiBytes))}) | ${fmtMb(med((m) => m.heapUsed))} | ${r.api.history.ms.toFixed(1)} ms (${fmtMb(r.api.history.bytes)}) | ${r.api.table.ms.toFixed(1)} ms | ${r.api.plot.ms.toFixed(1)} ms |`,
    );
    if (r.peer) {
      const pl = r.peer.loads;
      const drawn = median(pl.map((m) => (m.done ? m.drawn.history : Infinity)));
      lines.push(
        `| ${r.n.toLocaleString("en")} | optuna-dashboard | ${Number.isFinite(drawn) ? fmtMs(drawn) : "> 120 s"} | | | ${Number.isFinite(drawn) ? fmtMs(drawn) : "> 120 s"} | ${fmtMb(median(pl.map((m) => m.bytes)))} (${fmtMb(median(pl.map((m) => m.apiBytes)))}) | ${fmtMb(median(pl.map((m) => m.heapUsed)))} | | | |`,
      );
      lines.push(
        `|  | ratio | | | | ${!Number.isFinite(fully) ? "—" : Number.isFinite(drawn) ? `${(drawn / fully).toFixed(1)}× faster` : `> ${(PEER_DRAW_LIMIT_MS / fully).toFixed(0)}× faster`} | | | | | |`,
      );
    }
  }
  return lines.join("\n");
}

if (
  !opts["server-entry"] &&
  (!existsSync(path.join(ROOT, "apps/web/.next/BUILD_ID")) || !existsSync(path.join(ROOT, "apps/server/dist/main.js")))
) {
  console.error("bench:dashboard: the server and dashboard are not built; run `pnpm build` first");
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`bench:dashboard: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(1);
}
mkdirSync(work, { recursive: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
try {
  const t0 = now();
  const results = [];
  for (const n of opts.trials.split(",").map(Number)) results.push(await benchOne(browser, n));
  console.log(report(results));
  console.log(
    `\n(${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, Chromium ${browser.version()}, median (lower middle) of ${LOADS} first visits; total ${((now() - t0) / 1000).toFixed(0)} s)`,
  );
} finally {
  await browser.close();
  cleanUp();
}

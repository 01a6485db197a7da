import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { loadEnv, REPO_ROOT } from "../src/env.js";
import { startServer, type RunningServer, type StartServerOptions } from "../src/server.js";
import { Browser } from "./helpers.js";
import { labelValues, metricNames, scrape, total, type TScrape } from "@autoglm/prometheus-scrape";

/**
 * /metrics of a real server: never public by default, a bearer token on the main port or a
 * port of its own; the series move when a real agent runs real trials, and no label value is
 * an id. Servers start one after another: Next's route handlers read the last started one's
 * platform handle.
 */
if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

// Agents count as online for six heartbeats (6 s here): a busy CI box may delay one by a second.
const RUN_LOOP = {
  heartbeatMs: 1_000,
  leaseTtlMs: 5_000,
  sweepMs: 200,
  tickMs: 100,
  ackTimeoutMs: 1_000,
  optimizerRefreshMs: 300,
};
const TOKEN = "metrics-token-0123456789abcdef";
const PASSWORD = "correct horse battery";
const STUDY = `name: metrics
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 1}
budget: {max_trials: 3, max_parallel: 1, max_attempts: 1}
run:
  command: "echo '{\\"autoglm\\": 1, \\"final\\": {\\"loss\\": 1}}'"
`;
/** The named series of the server's /metrics (dashboard and alerts rely on each). */
const SERIES = [
  "autoglm_http_requests_total",
  "autoglm_http_request_duration_seconds",
  "autoglm_trpc_requests_total",
  "autoglm_trpc_request_duration_seconds",
  "autoglm_socketio_connections",
  "autoglm_leases_granted_total",
  "autoglm_lease_latency_seconds",
  "autoglm_waiting_trials",
  "autoglm_trials",
  "autoglm_agents_online",
  "nodejs_eventloop_lag_seconds",
  "process_cpu_user_seconds_total",
];

let db: TestDb;
let dataDir: string;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-metrics-"));
}, 60_000);
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A server on the test's database, reading its settings from `env` (not process.env's METRICS_*). */
function serve(env: Record<string, string>, options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["METRICS_PORT", "METRICS_HOST", "METRICS_TOKEN"]) delete base[k];
  return startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    ...(db.url ? { databaseUrl: db.url } : {}),
    env: { ...base, ...env },
    runLoop: RUN_LOOP,
    log: (l) => logs.push(l),
    ...options,
  });
}

describe("/metrics is never public by default", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({});
  }, 120_000);
  afterAll(() => server?.close());

  it("answers 404 on the main port, with or without a token, and opens no other port", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect(server.metricsUrl).toBeUndefined();
  });
});

describe("METRICS_TOKEN: /metrics on the main port behind a bearer token", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ METRICS_TOKEN: TOKEN });
  }, 120_000);
  afterAll(() => server?.close());

  it("answers 401 without the token or with another, and the series with it; the token is never logged", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("autoglm_");
    const families = await scrape(`${server.url}/metrics`, { authorization: `Bearer ${TOKEN}` });
    expect([...metricNames(families)]).toEqual(expect.arrayContaining(SERIES));
    // The scrape itself is counted under its route class.
    const again = await scrape(`${server.url}/metrics`, { authorization: `Bearer ${TOKEN}` });
    expect(total(again, "autoglm_http_requests_total", { route: "/metrics", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(total(again, "autoglm_http_requests_total", { route: "/metrics", status: "401" })).toBe(2);
    expect(logs.join("\n")).not.toContain(TOKEN);
  });

  it("refuses a short token or a port that is not a number, naming the setting and not echoing the value", () => {
    expect(() => loadEnv({}, { NODE_ENV: "production", METRICS_TOKEN: "short-secret" })).toThrow(
      /METRICS_TOKEN must be at least 16 characters/,
    );
    expect(() => loadEnv({}, { NODE_ENV: "production", METRICS_TOKEN: "short-secret" })).not.toThrow(/short-secret/);
    expect(() => loadEnv({}, { NODE_ENV: "production", METRICS_PORT: "ninety" })).toThrow(/METRICS_PORT/);
  });
});

describe("METRICS_PORT: a listener of its own, while a real agent runs real trials", () => {
  let server: RunningServer;
  let agent: RunningAgent | undefined;
  let workDir: string;
  beforeAll(async () => {
    server = await serve({ METRICS_PORT: "0" });
    workDir = mkdtempSync(path.join(tmpdir(), "autoglm-metrics-agent-"));
    // An agent running as root (CI) runs its trials as nobody, who must reach the work dir.
    chmodSync(workDir, 0o777);
  }, 120_000);
  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("serves the named series on loopback and nothing on the main port", async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(server.metricsUrl).not.toContain(`:${server.port}/`);
    const families = await scrape(server.metricsUrl!);
    expect([...metricNames(families)]).toEqual(expect.arrayContaining(SERIES));
    expect(total(families, "autoglm_leases_granted_total"), "autoglm_leases_granted_total").toBe(0);
    expect(total(families, "autoglm_trials", { state: "complete" }), "autoglm_trials").toBe(0);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(server.metricsUrl!.replace("/metrics", "/healthz"))).status).toBe(404);
  });

  it("moves leases, lease latency, trials by state, agents online and the tRPC counters, with no id as a label", async () => {
    const browser = new Browser(server.url);
    const email = `metrics-${Date.now()}@example.com`;
    await browser.call("auth.signUp", { email, password: PASSWORD, name: "metrics", teamName: "Metrics team" });
    expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
    const me = await browser.call<{ user: { id: string }; orgs: { id: string }[] }>("auth.me", undefined, { query: true });
    const orgId = me.orgs[0]!.id;
    const project = await browser.call<{ id: string }>("project.create", { name: "Metrics" }, { org: orgId });
    const study = await browser.call<{ id: string }>("study.create", { projectId: project.id, yaml: STUDY }, { org: orgId });
    // A refused call is counted with its code.
    const refused = await browser.trpc("study.create", { projectId: project.id, yaml: "name: [" }, { org: orgId });
    expect(refused.status).toBe(400);
    const token = await browser.call<{ id: string; token: string }>(
      "token.create",
      { name: "agent", scopes: ["agent"] },
      { org: orgId },
    );
    agent = await startAgent({
      server: server.url,
      token: token.token,
      name: "metrics-agent",
      gpus: [],
      workDir,
      cwd: workDir,
      heartbeatMs: 1_000,
    });
    await agent.registered;

    const [{ slug }] = (await db.query<{ slug: string }>(`SELECT slug FROM organizations WHERE id = $1`, [orgId])) as [
      { slug: string },
    ];
    // The database gauges are kept 5 s between scrapes: scrape until they show the three trials.
    const deadline = Date.now() + 60_000;
    let families: TScrape;
    for (;;) {
      families = await scrape(server.metricsUrl!);
      if (total(families, "autoglm_trials", { state: "complete" }) === 3) break;
      if (Date.now() > deadline) throw new Error(`the trials did not complete; server log:\n${logs.slice(-20).join("\n")}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(total(families, "autoglm_leases_granted_total"), "autoglm_leases_granted_total").toBe(3);
    expect(total(families, "autoglm_lease_latency_seconds"), "autoglm_lease_latency_seconds").toBe(3);
    // Seconds, not milliseconds: three local leases take well under 10 s together.
    expect(total(families, "autoglm_lease_latency_seconds_sum"), "autoglm_lease_latency_seconds_sum").toBeLessThan(10);
    expect(total(families, "autoglm_agents_online", { team: slug }), "autoglm_agents_online").toBe(1);
    expect(total(families, "autoglm_waiting_trials", { team: slug }), "autoglm_waiting_trials").toBe(0);
    expect(total(families, "autoglm_socketio_connections", { namespace: "/agents" }), "autoglm_socketio_connections").toBe(1);
    expect(
      total(families, "autoglm_trpc_requests_total", { procedure: "study.create", type: "mutation", code: "OK" }),
      "autoglm_trpc_requests_total",
    ).toBe(1);
    expect(
      total(families, "autoglm_trpc_requests_total", { procedure: "study.create", code: "BAD_REQUEST" }),
      "autoglm_trpc_requests_total",
    ).toBe(1);
    expect(
      total(families, "autoglm_trpc_requests_total", { procedure: "auth.me", type: "query", code: "OK" }),
      "autoglm_trpc_requests_total",
    ).toBe(1);
    expect(
      total(families, "autoglm_trpc_request_duration_seconds", { procedure: "token.create" }),
      "autoglm_trpc_request_duration_seconds",
    ).toBe(1);
    expect(
      total(families, "autoglm_http_requests_total", { route: "/api/trpc", method: "POST", status: "200" }),
      "autoglm_http_requests_total",
    ).toBeGreaterThanOrEqual(3);
    expect(
      total(families, "autoglm_http_requests_total", { route: "/api/auth" }),
      "autoglm_http_requests_total",
    ).toBeGreaterThanOrEqual(2);

    // Bounded labels: no user, team, project, study, trial, agent or token id (nor the email) anywhere.
    const trialIds = (await db.query<{ id: string }>(`SELECT id FROM trials WHERE study_id = $1`, [study.id])).map((r) => r.id);
    expect(trialIds).toHaveLength(3);
    const ids = [me.user.id, email, orgId, project.id, study.id, ...trialIds, agent.agentId()!, token.id];
    const values = labelValues(families);
    expect(values.length).toBeGreaterThan(20);
    for (const id of ids) expect(values.filter((v) => v.includes(id))).toEqual([]);
  }, 120_000);
});

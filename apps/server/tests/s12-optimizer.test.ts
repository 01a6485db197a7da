import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { REPO_ROOT } from "../src/env.js";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

/**
 * S12 (RELIABILITY.md) for optimizer work, through the real server (Next + tRPC over HTTP,
 * browser sign-in): while team A sends the heaviest accepted GP ask (200 float params, 100
 * finished trials: ~2 s of fitting), a tRPC batch of three such asks, and the importance query
 * on a study of 300 finished trials of 200 params (~5 s of forest), team B polls `auth.me`
 * without pause; B's p99 stays under 100 ms and A's work succeeds. Before the optimizer pool
 * each ask held the event loop for its whole fit, so B waited seconds.
 */
if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

const PASSWORD = "correct horse battery";
const P99_LIMIT_MS = 100;
const PARAMS = 200;

let db: TestDb;
let server: RunningServer;
let dataDir: string;

interface Person {
  browser: Browser;
  orgId: string;
}

async function signUp(tag: string): Promise<Person> {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: tag, teamName: `${tag} team` });
  expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
  const me = await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true });
  return { browser, orgId: me.orgs[0]!.id };
}

/** A GP study of A's with `finished` complete trials over 200 float params, bulk-inserted as earlier asks and tells would leave them. */
async function heavyStudy(a: Person, projectId: string, name: string, finished: number): Promise<string> {
  const space = Object.fromEntries(Array.from({ length: PARAMS }, (_, i) => [`p${i}`, { type: "float", low: 0, high: 1 }]));
  const spec = {
    name,
    objective: { metric: "loss", direction: "minimize" },
    space,
    sampler: { name: "gp", seed: 1 },
    budget: { max_trials: 2000, max_parallel: 8 },
  };
  const { id } = await a.browser.call<{ id: string }>("study.create", { projectId, spec }, { org: a.orgId });
  await db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
     SELECT $1, $2, g, 'complete', (SELECT jsonb_object_agg('p' || j, ((g * 37 + j * 11) % 101) / 100.0) FROM generate_series(0, $4 - 1) j),
            (g % 17) / 17.0 + ((g * 7) % 5) / 10.0, 1, now(), now()
     FROM generate_series(0, $3 - 1) g`,
    [a.orgId, id, finished, PARAMS],
  );
  await db.query(`UPDATE studies SET next_trial_number = $2 WHERE id = $1`, [id, finished]);
  return id;
}

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-s12-"));
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("S12: optimizer work does not stall other tenants", () => {
  it("team B's auth.me p99 stays under 100 ms while team A's GP asks, ask batch and importance run, and A's work succeeds", async () => {
    const a = await signUp("s12-a");
    const b = await signUp("s12-b");
    const { id: projectId } = await a.browser.call<{ id: string }>("project.create", { name: "S12" }, { org: a.orgId });
    const askStudy = await heavyStudy(a, projectId, "gp-200-asks", 100);
    const importanceStudy = await heavyStudy(a, projectId, "gp-200-importance", 300);

    // B polls as fast as answers come back, from before A starts until A is done.
    const samples: Array<{ at: number; ms: number; status: number }> = [];
    let aDone = false;
    const poll = (async () => {
      for (let i = 0; i < 100_000 && !aDone; i++) {
        const t0 = performance.now();
        const res = await b.browser.fetch("/api/trpc/auth.me");
        await res.arrayBuffer();
        samples.push({ at: t0, ms: performance.now() - t0, status: res.status });
      }
    })();

    const aStart = performance.now();
    const single = await a.browser.call<{ number: number; params: Record<string, number> }>(
      "trial.ask",
      { studyId: askStudy },
      { org: a.orgId },
    );
    const batchRes = await a.browser.fetch("/api/trpc/trial.ask,trial.ask,trial.ask?batch=1", {
      method: "POST",
      headers: { "content-type": "application/json", "x-autoglm-org": a.orgId },
      body: JSON.stringify({ 0: { studyId: askStudy }, 1: { studyId: askStudy }, 2: { studyId: askStudy } }),
    });
    const batch = (await batchRes.json()) as Array<{
      result?: { data: { number: number; params: Record<string, number> } };
      error?: unknown;
    }>;
    const importance = await a.browser.call<{ params: { name: string; share: number }[]; basedOn: number }>(
      "study.importance",
      { studyId: importanceStudy },
      { org: a.orgId, query: true },
    );
    const aEnd = performance.now();
    aDone = true;
    await poll;

    // A's work succeeded: four asks with distinct numbers and points, and the importance.
    expect(batchRes.status).toBe(200);
    const asked = [single, ...batch.map((r) => r.result!.data)];
    expect(asked.map((t) => t.number).sort((x, y) => x - y)).toEqual([100, 101, 102, 103]);
    expect(asked.every((t) => Object.keys(t.params).length === PARAMS)).toBe(true);
    expect(new Set(asked.map((t) => JSON.stringify(t.params))).size).toBe(4);
    expect(importance.basedOn).toBe(300);
    expect(importance.params).toHaveLength(PARAMS);

    const during = samples.filter((s) => s.at >= aStart && s.at < aEnd);
    const ms = during.map((s) => s.ms).sort((x, y) => x - y);
    const p99 = ms[Math.ceil(0.99 * ms.length) - 1]!;
    const report = `A's work took ${Math.round(aEnd - aStart)} ms; B made ${during.length} calls in it: p50 ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${ms.at(-1)?.toFixed(1)} ms`;
    console.log(`S12 optimizer: ${report}`);
    expect(during.every((s) => s.status === 200)).toBe(true);
    expect(p99, report).toBeLessThan(P99_LIMIT_MS);
    // A's work is seconds long; B polls continuously, so hundreds of calls land in it.
    expect(during.length, report).toBeGreaterThan(50);
  }, 180_000);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

/**
 * OPTIMIZER_TIMEOUT_MS reaches the optimizer pool: a GP ask that needs more than the budget
 * (200 float params, 100 finished trials: about 1.5 s of fitting) answers 504
 * OPTIMIZER_TIMEOUT in the caller's words, and no trial is handed out.
 */
let db: TestDb;
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-budget-"));
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    log: () => {},
    env: { NODE_ENV: "production", OPTIMIZER_TIMEOUT_MS: "200" },
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it("a GP ask past OPTIMIZER_TIMEOUT_MS answers 504 OPTIMIZER_TIMEOUT and hands out nothing", async () => {
  const browser = new Browser(server.url);
  const email = `budget-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: "correct horse battery", name: "Budget", teamName: "Budget team" });
  expect((await browser.signIn(email, "correct horse battery")).status).toBe(200);
  const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  const { id: projectId } = await browser.call<{ id: string }>("project.create", { name: "Budget" }, { org: orgId });
  const space = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, { type: "float", low: 0, high: 1 }]));
  const spec = {
    name: "gp-budget",
    objective: { metric: "loss", direction: "minimize" },
    space,
    sampler: { name: "gp", seed: 1 },
    budget: { max_trials: 500, max_parallel: 4 },
  };
  const { id: studyId } = await browser.call<{ id: string }>("study.create", { projectId, spec }, { org: orgId });
  await db.query(
    `INSERT INTO trials (org_id, study_id, number, state, params, value, attempt, started_at, finished_at)
     SELECT $1, $2, g, 'complete', (SELECT jsonb_object_agg('p' || j, ((g * 37 + j * 11) % 101) / 100.0) FROM generate_series(0, 199) j),
            (g % 17) / 17.0, 1, now(), now()
     FROM generate_series(0, 99) g`,
    [orgId, studyId],
  );
  await db.query(`UPDATE studies SET next_trial_number = 100 WHERE id = $1`, [studyId]);

  const r = await browser.trpc("trial.ask", { studyId }, { org: orgId });
  expect(r.status).toBe(504);
  expect(r.body.error?.data).toMatchObject({ appCode: "OPTIMIZER_TIMEOUT" });
  expect(r.body.error?.data?.userMessage).toMatch(/within 200 ms and was stopped; nothing was stored/);
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM trials WHERE study_id = $1`, [studyId]);
  expect(row!.n).toBe(100);
}, 180_000);

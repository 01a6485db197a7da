import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// Two server processes on one PostgreSQL: the agents talk to replica B, the
// browser watches replica A, and both replicas' schedulers feed the same study. The study
// page on A must fill in live (Socket.IO Postgres adapter) and no trial may run twice.

const enabled = Boolean(process.env.DATABASE_URL);
if (!enabled)
  console.log(
    `${path.basename(import.meta.url)}: skipped — two server processes need a shared PostgreSQL (set DATABASE_URL); PGlite is single-process`,
  );
let a: Platform;
let b: Platform;
let browser: Browser | null = null;
let page: Page;
const agents: ChildProcess[] = [];
const workDir = openAgentDir("autoglm-replicas-");

beforeAll(async () => {
  if (!enabled) return;
  a = await startPlatform("replica-a");
  b = await startPlatform("replica-b", [], { databaseUrl: a.databaseUrl });
  browser = await launchBrowser();
  if (browser) page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
}, 180_000);

afterAll(async () => {
  for (const p of agents) p.kill("SIGKILL");
  await browser?.close();
  await b?.stop();
  await a?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function startAgent(server: string, token: string, name: string): ChildProcess {
  mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, "logs", `e2e-agent-${name}.log`));
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, "packages/agent/dist/cli.js"),
      "--server",
      server,
      "--name",
      name,
      "--max-trials",
      "2",
      "--no-gpus",
      "--work-dir",
      path.join(workDir, name),
    ],
    {
      cwd: workDir,
      env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  agents.push(child);
  return child;
}

describe.skipIf(!enabled)("two server replicas on one PostgreSQL", () => {
  it("shows trials finished through replica B live on replica A, each run exactly once", async (ctx) => {
    if (!browser) return ctx.skip();
    await signUp(page, a.url, { email: `replicas-${Date.now()}@example.com`, name: "Replica Person", team: "Replica Team" });
    const token = await createTokenInUi(page, a.url, { name: "replicas", agent: true });

    // Everything programmatic goes through B.
    const client = createClient({ server: b.url, token });
    const project = await client.projects.create({ name: "cluster" });
    const study = await client.studies.create({
      projectId: project.id,
      spec: {
        name: "across-replicas",
        objective: { metric: "loss", direction: "minimize" },
        space: { x1: { type: "float", low: -5, high: 10 }, x2: { type: "float", low: 0, high: 15 } },
        sampler: { name: "random", seed: 3 },
        budget: { max_trials: 12, max_parallel: 4 },
        run: { command: "node examples/demo/branin-curve.mjs", env: { DEMO_STEP_MS: "80" } },
      },
    });

    await page.goto(`${a.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });

    startAgent(b.url, token, "replica-b-agent-1");
    startAgent(b.url, token, "replica-b-agent-2");

    // No reload: the doorbells rung on B reach the browser on A through PostgreSQL.
    await expect
      .poll(() => page.locator('[data-testid="trial-row"][data-state="complete"]').count(), { timeout: 120_000, interval: 1_000 })
      .toBe(12);
    const best = (await client.studies.best(study.id)) as { value?: number | null } | null;
    await expect
      .poll(async () => Number((await page.textContent('[data-testid="best-value"]'))?.replace(/[^0-9.eE+-]/g, "")), {
        timeout: 20_000,
      })
      .toBeCloseTo(Number(best?.value), 3);

    // Both replicas' schedulers fed the study: still exactly max_trials trials, and no
    // trial has more than one attempt (nothing was leased twice or re-run).
    const db = new pg.Client({ connectionString: a.databaseUrl });
    await db.connect();
    try {
      const trials = await db.query("SELECT count(*)::int AS n FROM trials WHERE study_id = $1", [study.id]);
      expect(trials.rows[0].n).toBe(12);
      const attempts = await db.query(
        "SELECT trial_id, count(*)::int AS n FROM trial_attempts WHERE trial_id IN (SELECT id FROM trials WHERE study_id = $1) GROUP BY trial_id HAVING count(*) > 1",
        [study.id],
      );
      expect(attempts.rows).toEqual([]);
    } finally {
      await db.end();
    }
  });
});

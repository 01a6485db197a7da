import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// The run loop through the product itself: the real server process and two agent
// processes run a study whose command is a Python script reporting a learning curve; every
// trial finishes, the median pruner cuts some, and the dashboard shows the best value and
// both agents.

const dir = openAgentDir("autoglm-e2e-run-");
const TRAIN_PY = `import os, sys, time
sys.path.insert(0, ${JSON.stringify(dir)})
from autoglm_report import report, final, should_prune, install_sigterm_handler, params
install_sigterm_handler()
lr = params()["lr"]
quality = abs(lr - 0.1) * 4
loss = None
for step in range(10):
    time.sleep(0.05)
    loss = quality + 1.0 / (step + 1)
    print(f"step {step} loss {loss:.4f}")
    report(step, loss=loss)
    if should_prune():
        sys.exit(0)
open(os.path.join(os.environ["AUTOGLM_OUTPUT_DIR"], "curve.txt"), "w").write(f"{loss:.4f}\\n")
final(loss=loss)
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
const agents: ChildProcess[] = [];

beforeAll(async () => {
  platform = await startPlatform("run-loop");
  browser = await launchBrowser();
  if (browser) page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
});

afterAll(async () => {
  for (const a of agents) a.kill("SIGKILL");
  await browser?.close();
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("run loop through the product", () => {
  it("two agents run a Python learning-curve study; the dashboard shows the best value and both agents", async (ctx) => {
    if (!browser) return ctx.skip();
    await signUp(page, platform.url, { email: `runner-${Date.now()}@example.com`, name: "Runner", team: "GPU Team" });
    const token = await createTokenInUi(page, platform.url, { name: "runner", agent: true });

    const script = path.join(dir, "train.py");
    writeFileSync(script, TRAIN_PY, { mode: 0o644 });
    const client = createClient({ server: platform.url, token });
    const project = await client.projects.create({ name: "curves" });
    const study = await client.studies.create({
      projectId: project.id,
      yaml: `name: lr-curve
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 0.001, high: 1, log: true}
sampler: {name: random, seed: 7}
pruner: {name: median, n_startup_trials: 3, n_warmup_steps: 2}
budget: {max_trials: 14, max_parallel: 4}
run:
  command: python3 ${script}
`,
    });

    mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
    for (const name of ["gpu-box-1", "gpu-box-2"]) {
      const log = createWriteStream(path.join(resultsDir, "logs", `e2e-run-loop-${name}.log`));
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, "packages/agent/dist/cli.js"),
          "--server",
          platform.url,
          "--name",
          name,
          "--max-trials",
          "2",
          "--no-gpus",
          "--work-dir",
          path.join(dir, name),
        ],
        { cwd: dir, env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      agents.push(child);
    }

    await page.goto(`${platform.url}/studies/${study.id}`);
    const finished = page.locator(
      '[data-testid="trial-row"][data-state="complete"], [data-testid="trial-row"][data-state="pruned"]',
    );
    await expect.poll(() => finished.count(), { timeout: 120_000, interval: 1_000 }).toBe(14);
    expect(await page.locator('[data-testid="trial-row"][data-state="failed"]').count()).toBe(0);
    const pruned = await page.locator('[data-testid="trial-row"][data-state="pruned"]').count();
    expect(pruned).toBeGreaterThan(0);
    // Each pruned row says why on hover: the median pruner's rule, with the numbers it saw.
    const why = await page.locator('[data-testid="trial-row"][data-state="pruned"] td[title]').first().getAttribute("title");
    expect(why).toMatch(
      /^pruned by the study's pruner at step (\d+) \(median: its best value so far, [-\d.e]+, is worse than the median \([-\d.e]+\) of \d+ finished trials at step \1\)$/,
    );

    const trials = await client.trials.list({ studyId: study.id, limit: 100 } as Parameters<typeof client.trials.list>[0]);
    const items = (trials as { items: { id: string; state: string; value: number | null }[] }).items;
    const best = Math.min(...items.filter((t) => t.state === "complete").map((t) => Number(t.value)));
    await expect
      .poll(async () => Number((await page.textContent('[data-testid="best-value"]'))?.replace(/[^0-9.eE+-]/g, "")), {
        timeout: 20_000,
      })
      .toBeCloseTo(best, 3);
    await page.screenshot({ path: path.join(resultsDir, "run-loop-study.png"), fullPage: true });

    // A finished trial's page lists the file its command wrote to AUTOGLM_OUTPUT_DIR, with a working download.
    const done = items.find((t) => t.state === "complete")!;
    await page.goto(`${platform.url}/studies/${study.id}/trials/${done.id}`);
    const row = page.locator('[data-testid="artifact-row"][data-name="curve.txt"]');
    await row.waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(resultsDir, "trial-artifacts.png"), fullPage: true });
    expect(await row.locator('[data-testid="artifact-sha256"]').textContent()).toMatch(/^[0-9a-f]{12}$/);
    const href = await row.locator('[data-testid="artifact-download"]').getAttribute("href");
    const file = await page.request.get(`${platform.url}${href}`);
    expect(file.status()).toBe(200);
    expect(await file.text()).toMatch(/^\d+\.\d{4}\n$/);

    await page.goto(`${platform.url}/agents`);
    for (const name of ["gpu-box-1", "gpu-box-2"]) {
      await expect
        .poll(() => page.locator(`[data-testid="agent-row"][data-agent-name="${name}"]`).getAttribute("data-online"), {
          timeout: 20_000,
        })
        .toBe("true");
    }
    await page.screenshot({ path: path.join(resultsDir, "agents-page.png"), fullPage: true });
  }, 240_000);
});

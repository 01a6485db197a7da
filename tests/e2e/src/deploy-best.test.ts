import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createClient } from "@autoglm/sdk";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, openAgentDir, repoRoot, resultsDir, startPlatform, type Platform } from "./harness.js";

// "Deploy best" in the dashboard: a builtin mlp study on digits runs on a real agent process; the
// button registers the best trial, starts a replica on that agent and, once it is ready, shows the
// URL, the key (once) and a curl line. The curl line, run as shown, answers predictions; the
// endpoint page then lists the ready replica, the version history and the key.

const execFileAsync = promisify(execFile);

// One trial of two epochs: a few seconds of CPU on the agent, enough for a best with files.
const MLP_YAML = `name: digits-serve
objective: {metric: accuracy, direction: maximize}
space:
  learning_rate: {type: float, low: 2.0e-3, high: 1.0e-2, log: true}
sampler: {name: random, seed: 3}
budget: {max_trials: 1, max_parallel: 1}
run:
  builtin: {trainer: mlp, dataset: digits, epochs: 2}
`;

const dir = openAgentDir("autoglm-e2e-deploy-");
let platform: Platform;
let browser: Browser | null;
const contexts: BrowserContext[] = [];
let agent: ChildProcess | undefined;

beforeAll(async () => {
  platform = await startPlatform("deploy-best");
  browser = await launchBrowser();
});

afterAll(async () => {
  agent?.kill("SIGKILL");
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startAgent(token: string): ChildProcess {
  mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, "logs", "e2e-deploy-best-agent.log"));
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, "packages/agent/dist/cli.js"),
      ...["--server", platform.url, "--name", "serve-box", "--max-trials", "1", "--no-gpus"],
      ...["--work-dir", path.join(dir, "work")],
    ],
    { cwd: dir, env: { ...process.env, AUTOGLM_TOKEN: token, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

describe("Deploy best in the dashboard", () => {
  it("deploys a study's best mlp to an endpoint whose shown curl line answers predictions", async (ctx) => {
    if (!browser) return ctx.skip();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    await signUp(page, platform.url, { email: `dana-${Date.now()}@example.com`, name: "Dana", team: "Serve Lab" });
    const token = await createTokenInUi(page, platform.url, { name: "serve", agent: true });
    const client = createClient({ server: platform.url, token });
    const project = await client.projects.create({ name: "serve" });
    const study = await client.studies.create({ projectId: project.id, yaml: MLP_YAML });
    agent = startAgent(token);

    await page.goto(`${platform.url}/studies/${study.id}`);
    await expect
      .poll(() => page.locator('[data-testid="trial-row"][data-state="complete"]').count(), { timeout: 120_000, interval: 1_000 })
      .toBe(1);
    await page.click('[data-testid="deploy-best"]:enabled', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="deploy-progress"][data-phase="ready"]', { timeout: 150_000 });
    const key = await page.inputValue('[data-testid="deploy-key-value"]');
    expect(key).toMatch(/^agl_/);
    // The team's slug is "serve-lab", or that with a suffix where the database already had one.
    expect(await page.textContent('[data-testid="deploy-url"]')).toMatch(
      new RegExp(`^${platform.url.replace(/[.]/g, "\\.")}/serve/serve-lab(-[a-z0-9]+)?/digits-serve$`),
    );
    const curl = (await page.textContent('[data-testid="code-curl-mlflow"]'))!;
    expect(curl).toContain(key);
    expect(curl).toContain(JSON.stringify({ inputs: [Array<number>(64).fill(0)] }));
    await page.screenshot({ path: path.join(resultsDir, "deploy-best.png") });

    // The curl line exactly as shown, run by a shell.
    const { stdout } = await execFileAsync("sh", ["-c", curl], { timeout: 30_000 });
    const predictions = (JSON.parse(stdout) as { predictions: number[] }).predictions;
    expect(predictions).toHaveLength(1);
    expect(Number.isInteger(predictions[0]) && predictions[0]! >= 0 && predictions[0]! <= 9).toBe(true);

    // The endpoint page: the ready replica on the agent, who deployed it, the key by its prefix.
    await page.click('[data-testid="deploy-endpoint-link"]');
    await page.waitForURL("**/endpoints/digits-serve", { timeout: 20_000 });
    await page.waitForSelector('[data-testid="replica-row"][data-state="ready"]:has-text("serve-box")', { timeout: 20_000 });
    expect(await page.locator('[data-testid="revision-row"]').first().locator("td").allTextContents()).toEqual([
      "v1",
      "Deploy best",
      expect.stringMatching(/^dana-\d+@example\.com$/),
      expect.any(String),
    ]);
    // Autoscaling: one replica desired (min 1, max 1), and why.
    expect(await page.textContent('[data-testid="scaling-desired"]')).toBe("1");
    expect(await page.textContent('[data-testid="scaling-reason"]')).toContain("at minReplicas 1");
    const prefix = (await page.getAttribute('[data-testid="endpoint-key-row"]', "data-prefix"))!;
    expect(key.startsWith(prefix)).toBe(true);
    expect(await page.content()).not.toContain(key);
    await page.goto(`${platform.url}/endpoints`);
    await page.waitForSelector('[data-testid="endpoint-row"][data-endpoint="digits-serve"]');
    expect(await page.textContent('[data-testid="endpoint-ready"]')).toContain("1/1");
  }, 420_000);
});

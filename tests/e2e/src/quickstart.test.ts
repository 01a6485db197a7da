import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";

// What `npm start` gives a newcomer: the seeded demo account, and a local agent that runs
// the demo study's trials.

let platform: Platform;
let browser: Browser | null;
let page: Page;

beforeAll(async () => {
  platform = await startPlatform("quickstart", ["--seed-demo", "--with-agent"]);
  browser = await launchBrowser();
  if (browser) page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("npm start", () => {
  it("prints the demo sign-in, its local agent runs the demo studies' trials, and the best digits MLP becomes model digits-mlp, served at endpoint digits", async (ctx) => {
    await expect.poll(() => platform.output(), { timeout: 30_000 }).toContain("Demo sign-in: demo@autoglm.dev / autoglm-demo");
    expect(platform.output()).not.toMatch(/agl_[A-Za-z0-9]{20,}/);
    if (!browser) return ctx.skip();

    await page.goto(`${platform.url}/signin`);
    await page.fill("#email", "demo@autoglm.dev");
    await page.fill("#password", "autoglm-demo");
    await page.click('[data-testid="signin-submit"]');
    await page.waitForURL((u) => !u.pathname.startsWith("/signin"), { timeout: 30_000 });

    await page.goto(`${platform.url}/agents`);
    const agent = page.locator('[data-testid="agent-row"][data-agent-name="local-agent"]');
    await expect.poll(() => agent.getAttribute("data-online"), { timeout: 30_000 }).toBe("true");

    // The seed finished 20 trials by ask/tell; anything numbered 20+ ran on the agent.
    await page.goto(`${platform.url}/projects`);
    await page.click('[data-testid="project-row"] a:has-text("demo")');
    await page.click('a:has-text("branin-demo")');
    await page.waitForURL(/\/studies\/[0-9a-f-]{36}/);
    const agentRun = page.locator(
      '[data-testid="trial-row"][data-state="complete"], [data-testid="trial-row"][data-state="pruned"]',
    );
    await expect
      .poll(
        async () => {
          const numbers = await agentRun.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-trial-number"))));
          return numbers.filter((n) => n >= 20).length;
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBeGreaterThanOrEqual(3);

    // The digits-mlp-demo study trains built-in MLPs on the same agent; its spec's `register`
    // makes the best one model digits-mlp, alias champion.
    const champion = page.locator(
      '[data-testid="model-row"][data-model="digits-mlp"] [data-testid="alias-badge"][data-alias="champion"]',
    );
    await expect
      .poll(
        async () => {
          await page.goto(`${platform.url}/models`);
          await page.waitForSelector('[data-testid="models-table"], .empty', { timeout: 15_000 }).catch(() => undefined);
          return champion.count();
        },
        { timeout: 240_000, interval: 5_000 },
      )
      .toBe(1);

    // The demo endpoint `digits` follows digits-mlp@champion on the same agent; a key made on its
    // page and the curl line shown there (the key in $AUTOGLM_ENDPOINT_KEY) answer predictions.
    expect(platform.output()).toContain("Endpoint digits will serve digits-mlp@champion");
    await page.goto(`${platform.url}/endpoints/digits`);
    await page.waitForSelector('[data-testid="replica-row"][data-state="ready"]', { timeout: 150_000 });
    await page.click('[data-testid="endpoint-key-create"]');
    const key = await page.inputValue('[data-testid="endpoint-key-new-value"]', { timeout: 30_000 });
    const curl = (await page.textContent('[data-testid="code-curl-mlflow"]'))!;
    expect(curl).toContain(`${platform.url}/serve/demo-team/digits/invocations`);
    // An example row of the model's 64 features, even while the alias moves to a newer version.
    expect(curl).toContain(JSON.stringify({ inputs: [Array<number>(64).fill(0)] }));
    const { stdout } = await promisify(execFile)("sh", ["-c", curl], {
      env: { ...process.env, AUTOGLM_ENDPOINT_KEY: key },
      timeout: 30_000,
    });
    expect((JSON.parse(stdout) as { predictions: unknown[] }).predictions).toHaveLength(1);
  }, 600_000);
});

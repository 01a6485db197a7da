import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The study page's importance card in a real browser: a multi-objective study offers an
// objective select, each objective ranks the parameter it depends on first, and the method
// toggle switches between fANOVA and PED-ANOVA.

const SPEC_YAML = `name: e2e-importance
objectives:
  - {metric: loss, direction: minimize}
  - {metric: latency_ms, direction: minimize}
space:
  x: {type: float, low: -1, high: 1}
  y: {type: float, low: -1, high: 1}
  noise: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 7}
budget: {max_trials: 60, max_parallel: 4}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("importance-card");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    await signUp(page, platform.url, { email: `importance-${Date.now()}@example.com`, name: "Ranker", team: "Importance" });
    const token = await createTokenInUi(page, platform.url, { name: "importance" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("importance card", () => {
  it("ranks each objective's parameter first, by fANOVA and by PED-ANOVA", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "importance" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC_YAML });
    for (let i = 0; i < 40; i++) {
      const t = await client.trials.ask(study.id);
      const x = Number(t.params.x);
      const y = Number(t.params.y);
      // loss depends on x only, latency on y only.
      await client.trials.tell(t.trialId, [x * x, 10 * (y - 0.5) ** 2]);
    }
    await page.goto(`${platform.url}/studies/${study.id}`);
    const chart = '[data-testid="importance-chart"]';
    const shown = async (): Promise<string> =>
      `${await page.getAttribute(chart, "data-for")} ${((await page.getAttribute(chart, "data-params")) ?? "").split(",")[0]}`;
    await expect.poll(shown, { timeout: 30_000 }).toBe("0:fanova x");
    // The chart's attributes change before recharts has drawn its axis: wait for the labels.
    const rows = async (): Promise<string[]> =>
      (await page.locator(`${chart} .recharts-yAxis-tick-labels text`).allTextContents()).sort();
    await expect.poll(rows, { timeout: 30_000 }).toEqual(["noise", "x", "y"]);
    // The objective select names the spec's metrics.
    expect(await page.locator('[data-testid="importance-objective"] option').allTextContents()).toEqual(["loss", "latency_ms"]);
    await page.selectOption('[data-testid="importance-objective"]', "1");
    await expect.poll(shown, { timeout: 30_000 }).toBe("1:fanova y");
    await page.selectOption('[data-testid="importance-method"]', "ped-anova");
    await expect.poll(shown, { timeout: 30_000 }).toBe("1:ped-anova y");
    await page.selectOption('[data-testid="importance-objective"]', "0");
    await expect.poll(shown, { timeout: 30_000 }).toBe("0:ped-anova x");
  });
});

import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The study page's analytics plots in a real browser: slice, EDF, timeline and parallel
// coordinates draw one mark per trial they cover, follow a newly told trial without a reload,
// say which trial a mark is on hover, and open that trial on a click.

const SPEC_YAML = `name: e2e-plots
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  act: {type: categorical, choices: [relu, gelu, tanh]}
sampler: {name: random, seed: 11}
budget: {max_trials: 20, max_parallel: 8}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;

beforeAll(async () => {
  platform = await startPlatform("study-plots");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const marks = (card: string) => async () => Number(await page.getAttribute(`[data-testid="${card}"]`, "data-marks"));

describe("study analytics plots", () => {
  it("draws slice, EDF, timeline and parallel coordinates live; hover names the trial, click opens it", async (ctx) => {
    if (!browser) return ctx.skip();
    await signUp(page, platform.url, { email: `plots-${Date.now()}@example.com`, name: "Plotter", team: "Plots" });
    const token = await createTokenInUi(page, platform.url, { name: "plots" });
    const client = createClient({ server: platform.url, token });
    const project = await client.projects.create({ name: "plots" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC_YAML });

    // 3 complete, 1 pruned (its last report kept), 1 still running.
    const ids = new Map<number, string>();
    const asked = [];
    for (let i = 0; i < 5; i++) {
      const t = await client.trials.ask(study.id);
      ids.set(t.number, t.trialId);
      asked.push(t);
    }
    for (const [i, t] of asked.slice(0, 3).entries()) await client.trials.tell(t.trialId, 0.1 * (i + 1));
    await client.trials.report(asked[3]!.trialId, 0, 0.9);
    await client.trials.prune(asked[3]!.trialId);

    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });
    await expect.poll(() => page.locator('[data-testid="slice-dot"]').count(), { timeout: 20_000 }).toBe(3);
    expect(await marks("slice-card")()).toBe(3);
    await expect.poll(() => page.locator('[data-testid="edf-dot"]').count(), { timeout: 20_000 }).toBe(3);
    // Every started trial has a bar, the running one included, all in the ask/tell lane.
    await expect.poll(() => page.locator('[data-testid="timeline-bar"]').count(), { timeout: 20_000 }).toBe(5);
    expect(
      await page.locator('[data-testid="timeline-lane"]').evaluateAll((ls) => ls.map((l) => l.getAttribute("data-lane"))),
    ).toEqual(["ask/tell"]);
    await expect.poll(() => page.locator('[data-testid="parallel-line"]').count(), { timeout: 20_000 }).toBe(3);

    // Controls: pruned values join the slice and the EDF; a categorical parameter on the slice.
    await page.check('[data-testid="slice-pruned"]');
    await expect.poll(() => page.locator('[data-testid="slice-dot"]').count(), { timeout: 5_000 }).toBe(4);
    await page.check('[data-testid="edf-pruned"]');
    await expect.poll(() => page.locator('[data-testid="edf-dot"]').count(), { timeout: 5_000 }).toBe(4);
    await page.selectOption('[data-testid="slice-param"]', "act");
    const ticks = await page.locator('[data-testid="slice-card"] .recharts-xAxis-tick-labels text').allTextContents();
    expect(ticks).toEqual(["relu", "gelu", "tanh"]);

    // Live: telling the running trial adds its mark without a reload.
    await client.trials.tell(asked[4]!.trialId, 0.05);
    await expect.poll(() => page.locator('[data-testid="slice-dot"]').count(), { timeout: 20_000 }).toBe(5);
    await expect.poll(() => page.locator('[data-testid="parallel-line"]').count(), { timeout: 20_000 }).toBe(4);

    // Hover names the trial; a click opens it.
    const dot = page.locator('[data-testid="slice-dot"][data-trial-number="4"]');
    await dot.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="slice-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(/^trial #4 · complete · act = (relu|gelu|tanh) · objective 0\.05$/);
    await dot.click();
    await page.waitForURL(`**/studies/${study.id}/trials/${ids.get(4)}`, { timeout: 20_000 });
    await page.goBack();
    const bar = page.locator('[data-testid="timeline-bar"][data-trial-number="3"]');
    await bar.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="timeline-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(/^trial #3 · pruned · /);
    await bar.click();
    await page.waitForURL(`**/studies/${study.id}/trials/${ids.get(3)}`, { timeout: 20_000 });
  }, 60_000);
});

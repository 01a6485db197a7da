import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The study page of an `auto` study in a real browser: each trial row says which of auto's
// samplers proposed it, and the "Sampler portfolio" card charts the weights over the trials.

const spec = `name: portfolio
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
sampler: {name: auto, seed: 5}
budget: {max_trials: 60, max_parallel: 4}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-portfolio");
  browser = await launchBrowser();
  if (browser) {
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await signUp(page, platform.url, { email: `portfolio-${Date.now()}@example.com`, name: "Portfolio", team: "Portfolio" });
    const token = await createTokenInUi(page, platform.url, { name: "portfolio" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("study page of an auto study", () => {
  it("shows the sampler that proposed each trial and the portfolio's weights", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "portfolio" });
    const study = await client.studies.create({ projectId: project.id, yaml: spec });
    for (let i = 0; i < 24; i++) {
      const t = await client.trials.ask(study.id);
      await client.trials.tell(t.trialId, (Number(t.params.x) - 1) ** 2 + (Number(t.params.y) + 2) ** 2);
    }
    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.locator('[data-testid="trial-table"]').scrollIntoViewIfNeeded();
    // Trial 0 came from the GP's turn of the schedule, trial 1 from TPE's.
    const proposer = (n: number) =>
      page.textContent(`[data-testid="trial-row"][data-trial-number="${n}"] [data-testid="proposed-by"]`);
    await expect.poll(() => proposer(0), { timeout: 30_000 }).toBe("gp");
    expect(await proposer(1)).toBe("tpe");

    // Below the history the cards mount lazily (in view, or one by one when the page is idle).
    await page.locator('[data-testid="portfolio-chart"]').evaluate((e) => e.scrollIntoView({ block: "center" }));
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="portfolio-chart"]', "data-points")), { timeout: 30_000 })
      .toBeGreaterThan(10);
    expect(await page.textContent('[data-testid="portfolio-leader"]')).toMatch(/^now (gp|tpe|random|cmaes) \d+%$/);
    // The chart draws one line per member, named in its legend.
    await page.waitForSelector('[data-testid="portfolio-chart"] .recharts-legend-item-text:has-text("cmaes")');
    // 24 trials: still in the model phase, so no hand-over is named.
    expect(await page.locator('[data-testid="portfolio-handover"]').count()).toBe(0);
  });

  it("says where and why a rugged study was handed to CMA-ES", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "rugged" });
    const rugged = spec.replace("name: portfolio", "name: rugged").replace("max_trials: 60", "max_trials: 200");
    const study = await client.studies.create({ projectId: project.id, yaml: rugged });
    // Rastrigin: a bowl covered in local minima one unit apart.
    const rastrigin = (p: Record<string, unknown>) =>
      [Number(p.x), Number(p.y)].reduce((a, x) => a + x * x - 10 * Math.cos(2 * Math.PI * x) + 10, 0);
    for (let i = 0; i < 104; i++) {
      const t = await client.trials.ask(study.id);
      await client.trials.tell(t.trialId, rastrigin(t.params));
    }
    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.locator('[data-testid="portfolio-chart"]').evaluate((e) => e.scrollIntoView({ block: "center" }));
    const note = page.locator('[data-testid="portfolio-handover"]');
    await note.waitFor({ timeout: 30_000 });
    expect(await note.getAttribute("data-reason")).toBe("rugged");
    expect(await note.textContent()).toMatch(
      /^CMA-ES leads since trial 100: the first 100 trials showed a rugged landscape \(the GP could not follow \d+% of their variance\), where CMA-ES searches better than the GP\.$/,
    );
    // The chart marks the trial where it happened.
    // A vertical line has no width: Playwright calls it hidden, so wait for it to be there.
    await page.waitForSelector('[data-testid="portfolio-chart"] .recharts-reference-line-line', { state: "attached" });
    await page.waitForSelector('[data-testid="portfolio-chart"] .recharts-label:has-text("CMA-ES")');
  });
});

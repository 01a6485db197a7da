import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The study page's analytics plots in a real browser: slice, EDF, timeline, parallel
// coordinates, contour and rank draw one mark per trial they cover, follow a newly told trial
// without a reload, say which trial a mark is on hover, and open that trial on a click; a range
// brushed on a parallel-coordinates axis shrinks the trial table to the trials inside it.

const SPEC_YAML = `name: e2e-plots
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  act: {type: categorical, choices: [relu, gelu, tanh]}
sampler: {name: random, seed: 11}
budget: {max_trials: 20, max_parallel: 8}
`;

const SPEC3_YAML = `name: e2e-plots-3
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  width: {type: int, low: 16, high: 256}
  act: {type: categorical, choices: [relu, gelu, tanh]}
sampler: {name: random, seed: 5}
budget: {max_trials: 30, max_parallel: 4}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-plots");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    await signUp(page, platform.url, { email: `plots-${Date.now()}@example.com`, name: "Plotter", team: "Plots" });
    const token = await createTokenInUi(page, platform.url, { name: "plots" });
    client = createClient({ server: platform.url, token });
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

  it("contour and rank draw cells and dots that name and open a trial; a brushed axis filters the trial table", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "plots-2" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC3_YAML });
    // 12 complete trials, the loss a known function of all three parameters.
    const told: Array<{ number: number; trialId: string; lr: number; value: number }> = [];
    for (let i = 0; i < 12; i++) {
      const t = await client.trials.ask(study.id);
      const { lr, width, act } = t.params as { lr: number; width: number; act: string };
      const value = (Math.log10(lr) + 2) ** 2 + width / 256 + ({ relu: 0, gelu: 0.1, tanh: 0.2 }[act] ?? 1);
      await client.trials.tell(t.trialId, value);
      told.push({ number: t.number, trialId: t.trialId, lr, value });
    }
    const byValue = [...told].sort((a, b) => a.value - b.value);
    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });

    // Contour over lr (log) and width: a dot per trial over 40 × 40 interpolated cells, the legend the loss's range.
    await expect.poll(() => page.locator('[data-testid="contour-dot"]').count(), { timeout: 20_000 }).toBe(12);
    await page.selectOption('[data-testid="contour-x"]', "lr");
    await page.selectOption('[data-testid="contour-y"]', "width");
    await expect.poll(() => page.locator('[data-testid="contour-cell"]').count(), { timeout: 5_000 }).toBe(40 * 40);
    expect(await page.isChecked('[data-testid="contour-log-x"]')).toBe(true);
    expect(await page.isChecked('[data-testid="contour-log-y"]')).toBe(false);
    expect(Number(await page.textContent('[data-testid="contour-legend-low"]'))).toBeCloseTo(byValue[0]!.value, 4);
    expect(Number(await page.textContent('[data-testid="contour-legend-high"]'))).toBeCloseTo(byValue[11]!.value, 4);
    // A categorical y axis has a cell row per category.
    await page.selectOption('[data-testid="contour-y"]', "act");
    await expect.poll(() => page.locator('[data-testid="contour-cell"]').count(), { timeout: 5_000 }).toBe(40 * 3);
    const best = byValue[0]!;
    const contourDot = page.locator(`[data-testid="contour-dot"][data-trial-number="${best.number}"]`);
    await contourDot.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="contour-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(new RegExp(`^trial #${best.number} · lr = [0-9.e-]+ · act = (relu|gelu|tanh) · objective [0-9.]+$`));
    await contourDot.click();
    await page.waitForURL(`**/studies/${study.id}/trials/${best.trialId}`, { timeout: 20_000 });
    await page.goBack();

    // Rank: three parameters make three pairwise panels, each with every trial; best blue, worst amber.
    await expect.poll(() => page.locator('[data-testid="rank-dot"]').count(), { timeout: 20_000 }).toBe(3 * 12);
    const pairs = await page
      .locator('[data-testid="rank-panel"]')
      .evaluateAll((ps) => ps.map((p) => p.getAttribute("data-pair")));
    expect(pairs.map((p) => p!.split("/").sort().join("/")).sort()).toEqual(["act/lr", "act/width", "lr/width"]);
    const fills = async (n: number) =>
      new Set(
        await page
          .locator(`[data-testid="rank-dot"][data-trial-number="${n}"]`)
          .evaluateAll((ds) => ds.map((d) => d.getAttribute("fill"))),
      );
    expect(await fills(best.number)).toEqual(new Set(["hsl(230, 75%, 50%)"]));
    expect(await fills(byValue[11]!.number)).toEqual(new Set(["hsl(35, 75%, 50%)"]));
    const worst = byValue[11]!;
    const rankDot = page.locator(`[data-testid="rank-dot"][data-trial-number="${worst.number}"]`).first();
    await rankDot.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="rank-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(new RegExp(`^trial #${worst.number} · complete · lr = .* \\(rank 12 of 12\\)$`));
    await rankDot.click();
    await page.waitForURL(`**/studies/${study.id}/trials/${worst.trialId}`, { timeout: 20_000 });
    await page.goBack();

    // Brushing: drag along the objective's axis; the table keeps exactly the trials whose loss is inside.
    await expect.poll(() => page.locator('[data-testid="trial-row"]').count(), { timeout: 20_000 }).toBe(12);
    const rowNumbers = () =>
      page
        .locator('[data-testid="trial-row"]')
        .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-trial-number"))).sort((a, b) => a - b));
    // The mouse reaches what is in the viewport: bring the chart to its middle, clear of the sticky top bar.
    await page.locator('[data-testid="parallel-card"]').evaluate((e) => e.scrollIntoView({ block: "center" }));
    const drag = async (axis: string, from: number, to: number) => {
      const box = (await page.locator(`[data-testid="parallel-brush-axis"][data-axis="${axis}"]`).boundingBox())!;
      const x = box.x + box.width / 2;
      await page.mouse.move(x, box.y + box.height * from);
      await page.mouse.down();
      await page.mouse.move(x, box.y + box.height * to, { steps: 6 });
      await page.mouse.up();
    };
    const brushRange = async (axis: string) => {
      const rect = page.locator(`[data-testid="parallel-brush"][data-axis="${axis}"]`);
      return [Number(await rect.getAttribute("data-lo")), Number(await rect.getAttribute("data-hi"))] as const;
    };
    await drag("objective", 0.05, 0.6);
    await expect.poll(() => page.locator('[data-testid="parallel-brush"]').count(), { timeout: 5_000 }).toBe(1);
    const [lo, hi] = await brushRange("objective");
    const inLoss = told.filter((t) => t.value >= lo && t.value <= hi).map((t) => t.number);
    expect(inLoss.length).toBeGreaterThan(0);
    expect(inLoss.length).toBeLessThan(12);
    await expect.poll(rowNumbers, { timeout: 5_000 }).toEqual([...inLoss].sort((a, b) => a - b));
    expect(await page.textContent('[data-testid="brush-count"]')).toBe(`${inLoss.length} of 12 trials match the brush`);
    expect(await page.locator('[data-testid="parallel-line"]').count()).toBe(inLoss.length);

    // A second brush on lr intersects; clicking the objective's axis clears that brush alone.
    await drag("lr", 0.5, 1);
    await expect.poll(() => page.locator('[data-testid="parallel-brush"]').count(), { timeout: 5_000 }).toBe(2);
    const [lrLo, lrHi] = await brushRange("lr");
    const inLr = new Set(told.filter((t) => t.lr >= lrLo && t.lr <= lrHi).map((t) => t.number));
    await expect.poll(rowNumbers, { timeout: 5_000 }).toEqual(inLoss.filter((n) => inLr.has(n)).sort((a, b) => a - b));
    const objectiveAxis = (await page.locator('[data-testid="parallel-brush-axis"][data-axis="objective"]').boundingBox())!;
    await page.mouse.click(objectiveAxis.x + objectiveAxis.width / 2, objectiveAxis.y + objectiveAxis.height / 2);
    await expect.poll(() => page.locator('[data-testid="parallel-brush"]').count(), { timeout: 5_000 }).toBe(1);
    await expect.poll(rowNumbers, { timeout: 5_000 }).toEqual([...inLr].sort((a, b) => a - b));

    // The Clear button: every trial again.
    await page.click('[data-testid="parallel-clear-brush"]');
    await expect.poll(() => page.locator('[data-testid="trial-row"]').count(), { timeout: 5_000 }).toBe(12);
    expect(await page.locator('[data-testid="brush-note"]').count()).toBe(0);
  }, 90_000);
});

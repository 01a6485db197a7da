import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// Multi-objective and constrained studies on the study page in a real browser: the Pareto front
// card names both objectives on its axes, highlights the API's Pareto set and fades the
// dominated trials, names a hovered trial and opens a clicked one; the hypervolume history
// draws against a reference point the card states; every single-objective plot can show
// either objective. An infeasible trial is marked as such on its page and never shown as best.

const MULTI_YAML = `name: e2e-pareto
objectives:
  - {metric: loss, direction: minimize}
  - {metric: latency_ms, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
  act: {type: categorical, choices: [relu, tanh]}
sampler: {name: random, seed: 7}
budget: {max_trials: 40, max_parallel: 4}
`;

const CONSTRAINED_YAML = `name: e2e-constrained
objective: {metric: loss, direction: minimize}
constraints:
  - {metric: memory_gb, max: 16}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 8}
budget: {max_trials: 40, max_parallel: 4}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-pareto");
  browser = await launchBrowser();
  if (browser) {
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await signUp(page, platform.url, { email: `pareto-${Date.now()}@example.com`, name: "Paretian", team: "Fronts" });
    const token = await createTokenInUi(page, platform.url, { name: "pareto" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const count = (selector: string) => () => page.locator(selector).count();

describe("multi-objective and constrained studies on the study page", () => {
  it("draws the Pareto front and the hypervolume history, and lets each plot show either objective", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "pareto" });
    const study = await client.studies.create({ projectId: project.id, yaml: MULTI_YAML });
    // loss = x and latency = 100·(1 − x): a trade-off on which every trial is optimal, made
    // worse on both objectives for every third trial, which the others then dominate.
    const ids = new Map<number, string>();
    for (let i = 0; i < 12; i++) {
      const t = await client.trials.ask(study.id);
      const x = Number(t.params.x);
      const penalty = i % 3 === 2 ? 0.5 : 0;
      await client.trials.tell(t.trialId, [x + penalty, 100 * (1 - x) + 100 * penalty]);
      ids.set(t.number, t.trialId);
    }
    const best = await client.studies.best(study.id);
    const front = best?.pareto ?? [];
    expect(front.length).toBeGreaterThan(1);
    expect(front.length).toBeLessThan(12);

    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });
    await expect.poll(count('[data-testid="pareto-dot"]'), { timeout: 20_000 }).toBe(12);
    // Both axes named by their metric and direction.
    const labels = await page.locator('[data-testid="pareto-card"] .recharts-label').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(["loss ↓", "latency_ms ↓"]));
    // The front is the API's Pareto set, bold; the rest are faded.
    const frontNumbers = await page
      .locator('[data-testid="pareto-dot"][data-kind="front"]')
      .evaluateAll((ds) => ds.map((d) => Number(d.getAttribute("data-trial-number"))).sort((a, b) => a - b));
    expect(frontNumbers).toEqual(front.map((p) => p.number).sort((a, b) => a - b));
    expect(await count('[data-testid="pareto-dot"][data-kind="dominated"]')()).toBe(12 - front.length);
    const opacity = (kind: string) =>
      page.locator(`[data-testid="pareto-dot"][data-kind="${kind}"]`).first().getAttribute("fill-opacity").then(Number);
    expect(await opacity("dominated")).toBeLessThan(await opacity("front"));
    expect(await page.textContent('[data-testid="pareto-size"]')).toBe(` · Pareto set: ${front.length} trials`);

    // Hover names the trial and its values; a click opens it.
    const member = front[0]!;
    const dot = page.locator(`[data-testid="pareto-dot"][data-trial-number="${member.number}"]`);
    await dot.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="pareto-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(new RegExp(`^trial #${member.number} · loss [0-9.e-]+ · latency_ms [0-9.e-]+ · on the front$`));

    // The hypervolume history: a point per trial on the front's growth, and the reference point said.
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="hypervolume-chart"]', "data-points")), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="hypervolume-reference"]')).toMatch(
      /^Reference point: loss [0-9.e-]+, latency_ms [0-9.e-]+ \(each objective's worst value plus 10% of its range\)/,
    );

    // The best card offers the Pareto trials, each with its values.
    const options = await page.locator('[data-testid="pareto-trial-select"] option').allTextContents();
    expect(options).toHaveLength(front.length);
    expect(options[0]).toMatch(/^#\d+ · loss [0-9.e-]+ · latency_ms [0-9.e-]+$/);

    // Each single-objective plot draws either objective, its axis named by the chosen metric.
    await page.selectOption('[data-testid="slice-objective"]', "1");
    const sliceDot = page.locator(`[data-testid="slice-dot"][data-trial-number="${member.number}"]`);
    await sliceDot.hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="slice-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(new RegExp(`· latency_ms ↓ ${String(Number(member.values[1]!.toPrecision(6)))}$`));
    for (const card of ["history", "edf", "contour", "rank", "parallel"]) {
      expect(await page.locator(`[data-testid="${card}-objective"] option`).allTextContents()).toEqual([
        "loss ↓",
        "latency_ms ↓",
      ]);
    }

    await dot.scrollIntoViewIfNeeded();
    await dot.click();
    await page.waitForURL(`**/studies/${study.id}/trials/${member.trialId}`, { timeout: 20_000 });
    await expect
      .poll(() =>
        page.locator('[data-testid="trial-objective-value"]').evaluateAll((vs) => vs.map((v) => v.getAttribute("data-metric"))),
      )
      .toEqual(["loss", "latency_ms"]);
    expect(ids.get(member.number)).toBe(member.trialId);
  }, 90_000);

  it("marks an infeasible trial on its page and in the plots, and never shows it as best", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "constrained" });
    const study = await client.studies.create({ projectId: project.id, yaml: CONSTRAINED_YAML });
    const told: Array<{ trialId: string; number: number }> = [];
    // The lowest loss breaks the memory bound; the best is the lowest loss among the others.
    for (const [loss, memory] of [
      [0.5, 8],
      [0.1, 18.2],
      [0.3, 12],
    ] as const) {
      const t = await client.trials.ask(study.id);
      await client.trials.tell(t.trialId, loss, { metrics: { memory_gb: memory } });
      told.push({ trialId: t.trialId, number: t.number });
    }
    const [, infeasible, best] = told as [unknown, { trialId: string; number: number }, { trialId: string; number: number }];
    expect((await client.studies.best(study.id))?.trialId).toBe(best.trialId);

    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });
    await expect.poll(() => page.getAttribute('[data-testid="best-params"]', "data-trial-number")).toBe(String(best.number));
    expect(await page.textContent('[data-testid="study-constraints"]')).toBe(" · subject to memory_gb ≤ 16");
    // Drawn, but hollow and dashed, and the history's best-so-far line never takes its value.
    await expect.poll(count('[data-testid="slice-dot"][data-infeasible="true"]'), { timeout: 20_000 }).toBe(1);
    expect(await page.getAttribute('[data-testid="slice-dot"][data-infeasible="true"]', "data-trial-number")).toBe(
      String(infeasible.number),
    );
    await expect.poll(count('[data-testid="parallel-line"][data-infeasible="true"]'), { timeout: 20_000 }).toBe(1);
    await expect.poll(count('[data-testid="history-infeasible-dot"]'), { timeout: 20_000 }).toBe(1);

    await page.goto(`${platform.url}/studies/${study.id}/trials/${infeasible.trialId}`);
    await expect
      .poll(async () => await page.textContent('[data-testid="trial-feasibility"]').catch(() => null), { timeout: 20_000 })
      .toBe("infeasible: memory_gb 18.2 > 16");
    await page.goto(`${platform.url}/studies/${study.id}/trials/${best.trialId}`);
    await expect
      .poll(async () => await page.textContent('[data-testid="trial-feasibility"]').catch(() => null), { timeout: 20_000 })
      .toBe("feasible");
  }, 60_000);
});

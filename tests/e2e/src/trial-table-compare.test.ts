import { readFileSync } from "node:fs";
import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The trial table of a 150-trial study in a real browser: it pages to the last trial, shows a
// chosen parameter as a column (still there after a reload), shrinks to the trials inside a
// parameter range, and exports every trial as CSV; then two studies of the project, ticked on
// the project page, open a compare view naming both in the chart's legend.

const N = 150;
const SPEC_YAML = `name: e2e-table
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  layers: {type: int, low: 1, high: 4}
  act: {type: categorical, choices: [relu, gelu]}
  dropout: {type: float, low: 0, high: 0.5}
  momentum: {type: float, low: 0.5, high: 0.99}
sampler: {name: random, seed: 9}
budget: {max_trials: ${N}, max_parallel: 1}
`;
const OTHER_YAML = `name: e2e-table-acc
objective: {metric: acc, direction: maximize}
space:
  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}
  layers: {type: int, low: 1, high: 4}
sampler: {name: random, seed: 2}
budget: {max_trials: 8, max_parallel: 1}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("trial-table");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page = await context.newPage();
    await signUp(page, platform.url, { email: `table-${Date.now()}@example.com`, name: "Tabler", team: "Tables" });
    const token = await createTokenInUi(page, platform.url, { name: "table" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const pageInfo = () => page.textContent('[data-testid="trial-page-info"]').then((t) => t?.replace(/\s*…$/, "").trim());
const firstRowNumber = () => page.locator('[data-testid="trial-row"]').first().getAttribute("data-trial-number").then(Number);

describe("trial table and compare view", () => {
  it("pages, chooses a column, filters by a range, exports, and compares two studies", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "tables" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC_YAML });
    const told: Array<{ number: number; lr: number; momentum: number }> = [];
    for (let i = 0; i < N; i++) {
      const t = await client.trials.ask(study.id);
      const { lr, momentum } = t.params as { lr: number; momentum: number };
      await client.trials.tell(t.trialId, (Math.log10(lr) + 2) ** 2);
      told.push({ number: t.number, lr, momentum });
    }

    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.locator('[data-testid="trial-table"]').scrollIntoViewIfNeeded();
    await page.selectOption('[data-testid="page-size"]', "100");
    await expect.poll(pageInfo, { timeout: 20_000 }).toBe(`1–100 of ${N}`);
    // Newest first: the first page starts at the last trial; the last page ends at trial 0.
    expect(await firstRowNumber()).toBe(N - 1);
    await page.click('[data-testid="page-next"]');
    await expect.poll(pageInfo, { timeout: 10_000 }).toBe(`101–${N} of ${N}`);
    await page.click('[data-testid="page-first"]');
    await expect.poll(pageInfo, { timeout: 10_000 }).toBe(`1–100 of ${N}`);
    await page.click('[data-testid="page-last"]');
    await expect.poll(pageInfo, { timeout: 10_000 }).toBe(`101–${N} of ${N}`);
    expect(await firstRowNumber()).toBe(N - 101);
    expect(await page.isDisabled('[data-testid="page-next"]')).toBe(true);
    // The virtualized list draws the rows in view, not all 50; scrolled to its end, it draws trial 0.
    expect(await page.locator('[data-testid="trial-row"]').count()).toBeLessThan(N - 100);
    await page.locator('[data-testid="trial-scroll"]').evaluate((e) => e.scrollTo(0, e.scrollHeight));
    await expect.poll(() => page.locator('[data-testid="trial-row"][data-trial-number="0"]').count(), { timeout: 5_000 }).toBe(1);

    // A column for momentum (not among the first four parameters shown by default), kept across a reload.
    expect(await page.locator('[data-testid="column-head-param-momentum"]').count()).toBe(0);
    await page.click('[data-testid="column-chooser"] summary');
    await page.check('[data-testid="column-param-momentum"]');
    await expect.poll(() => page.locator('[data-testid="column-head-param-momentum"]').count(), { timeout: 5_000 }).toBe(1);
    await page.reload();
    await expect.poll(() => page.locator('[data-testid="column-head-param-momentum"]').count(), { timeout: 20_000 }).toBe(1);
    const top = await firstRowNumber();
    const shown = Number(
      await page.locator('[data-testid="trial-row"]').first().locator('[data-testid="cell-param-momentum"]').textContent(),
    );
    expect(shown).toBeCloseTo(told.find((t) => t.number === top)!.momentum, 4);

    // A parameter range: the total shrinks to the trials inside it, and every row is one of them.
    const inRange = told.filter((t) => t.lr >= 0.001 && t.lr <= 0.01).map((t) => t.number);
    expect(inRange.length).toBeGreaterThan(0);
    expect(inRange.length).toBeLessThan(100);
    await page.fill('[data-testid="trial-param-filter"]', "lr in [0.001, 0.01]");
    await expect.poll(pageInfo, { timeout: 10_000 }).toBe(`1–${inRange.length} of ${inRange.length}`);
    const rowNumbers = await page
      .locator('[data-testid="trial-row"]')
      .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-trial-number"))));
    expect(rowNumbers.length).toBeGreaterThan(0);
    for (const n of rowNumbers) expect(inRange).toContain(n);
    await page.fill('[data-testid="trial-param-filter"]', "lr > 0.1");
    await expect
      .poll(() => page.textContent('[data-testid="trial-filter-error"]'), { timeout: 5_000 })
      .toBe('"lr > 0.1": bounds are inclusive, write >=');
    await page.fill('[data-testid="trial-param-filter"]', "");
    await expect.poll(pageInfo, { timeout: 10_000 }).toBe(`1–100 of ${N}`);

    // Export: the whole study, not the page, as a CSV download.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="export-csv"]')]);
    expect(download.suggestedFilename()).toBe("e2e-table-trials.csv");
    const lines = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\n");
    expect(lines[0]).toBe(
      "number,state,value,datetime_start,datetime_complete,duration_seconds,params_act,params_dropout,params_layers,params_lr,params_momentum",
    );
    expect(lines).toHaveLength(N + 1);

    // Compare: a second study of the project with another objective; both ticked on the project page.
    const other = await client.studies.create({ projectId: project.id, yaml: OTHER_YAML });
    for (let i = 0; i < 8; i++) {
      const t = await client.trials.ask(other.id);
      await client.trials.tell(t.trialId, 0.5 + i / 100);
    }
    await page.goto(`${platform.url}/projects/${project.id}`);
    await expect.poll(() => page.locator('[data-testid="compare-check"]').count(), { timeout: 20_000 }).toBe(2);

    // The name filter: any case, every word; kept in the address, so a study and back finds it applied.
    const listedNames = () => page.locator('[data-testid="study-row"] td:nth-child(2)').allTextContents();
    await page.fill('[data-testid="study-name-filter"]', "ACC table");
    await expect.poll(listedNames, { timeout: 10_000 }).toEqual(["e2e-table-acc"]);
    expect(await page.textContent('[data-testid="study-filter-count"]')).toBe("1 of 2 studies");
    expect(new URL(page.url()).searchParams.get("q")).toBe("ACC table");
    await page.click('[data-testid="study-row"] a');
    await page.waitForURL(`**/studies/${other.id}`, { timeout: 20_000 });
    await page.goBack();
    await expect.poll(listedNames, { timeout: 20_000 }).toEqual(["e2e-table-acc"]);
    expect(await page.inputValue('[data-testid="study-name-filter"]')).toBe("ACC table");
    await page.fill('[data-testid="study-name-filter"]', "acc loss");
    await expect.poll(() => page.textContent(".empty h3"), { timeout: 10_000 }).toBe("No study matches “acc loss”");
    await page.click('[data-testid="study-filter-clear"]');
    await expect.poll(listedNames, { timeout: 10_000 }).toEqual(expect.arrayContaining(["e2e-table", "e2e-table-acc"]));
    expect(new URL(page.url()).searchParams.has("q")).toBe(false);

    await page.locator('[data-testid="compare-check"]').nth(0).check();
    await page.locator('[data-testid="compare-check"]').nth(1).check();
    await page.click('[data-testid="compare-selected"]');
    await page.waitForURL(`**/projects/${project.id}/compare?studies=*`, { timeout: 20_000 });
    await expect
      .poll(() => page.locator('[data-testid="compare-chart"] .recharts-legend-item-text').allTextContents(), { timeout: 20_000 })
      .toEqual(expect.arrayContaining(["e2e-table", "e2e-table-acc"]));
    expect(await page.textContent('[data-testid="compare-mismatch"]')).toContain("do not share one objective");
    const differs = await page
      .locator('[data-testid="compare-param-row"]')
      .evaluateAll((rs) => rs.map((r) => [r.getAttribute("data-param"), r.getAttribute("data-differs")]));
    expect(differs.map(([name]) => name)).toEqual(["act", "dropout", "layers", "lr", "momentum"]);
    expect(Object.fromEntries(differs)).toMatchObject({ lr: "true", act: "true", momentum: "true" });
  }, 300_000);
});

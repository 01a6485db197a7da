import { mkdirSync } from "node:fs";
import path from "node:path";
import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, resultsDir, startPlatform, type Platform } from "./harness.js";

// The whole user journey in a real browser against the real server process:
// sign up → create a project → create a study from YAML → create an API token → run an
// ask/tell loop with the SDK → watch trials and the best value arrive without a reload.

const SPEC_YAML = `name: e2e-quadratic
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 5}
  y: {type: float, low: -5, high: 5}
  act: {type: categorical, choices: [relu, gelu]}
sampler: {name: random, seed: 7}
pruner: {name: none}
budget: {max_trials: 12, max_parallel: 2}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;

beforeAll(async () => {
  platform = await startPlatform("study-flow");
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

describe("dashboard study flow", () => {
  it("signs up, creates a project, a study, a token, and shows an ask/tell loop live", async (ctx) => {
    if (!browser) return ctx.skip();
    const email = `e2e-${Date.now()}@example.com`;

    await page.goto(`${platform.url}/signup`);
    await page.fill("#email", email);
    await page.fill("#name", "E2E Person");
    await page.fill("#password", "correct horse battery staple");
    await page.fill("#teamName", "E2E Team");
    await page.click('[data-testid="signup-submit"]');
    await page.waitForURL((u) => !u.pathname.startsWith("/signup"), { timeout: 30_000 });

    // Project
    await page.goto(`${platform.url}/projects`);
    await page.click('[data-testid="new-project"]');
    await page.fill('[data-testid="project-name"]', "vision");
    await page.click('[data-testid="create-project"]');
    await page.click('[data-testid="project-row"] a:has-text("vision")', { timeout: 30_000 });
    await page.waitForURL(/\/projects\/[0-9a-f-]{36}/, { timeout: 30_000 });
    const projectId = /\/projects\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    // Study from YAML: a broken spec first, whose error names the field.
    await page.click('[data-testid="new-study"]');
    await page.fill('[data-testid="spec-yaml"]', SPEC_YAML.replace("low: -5, high: 5}\n  y", "low: 9, high: 5}\n  y"));
    await expect.poll(() => page.textContent('[data-testid="spec-issues"]')).toContain("space.x.low");
    await page.fill('[data-testid="spec-yaml"]', SPEC_YAML);
    await page.waitForSelector('[data-testid="spec-valid"]');
    await page.click('[data-testid="create-study"]');
    await page.waitForURL(/\/studies\/[0-9a-f-]{36}/, { timeout: 30_000 });
    const studyUrl = page.url();
    const studyId = /\/studies\/([0-9a-f-]{36})/.exec(studyUrl)![1]!;
    expect(await page.textContent('[data-testid="study-name"]')).toContain("e2e-quadratic");

    // API token, shown once
    await page.goto(`${platform.url}/settings/tokens`);
    await page.fill('[data-testid="token-name"]', "e2e-loop");
    await page.check('[data-testid="scope-write"]');
    await page.click('[data-testid="create-token"]');
    const token = await page.inputValue('[data-testid="token-reveal-value"]', { timeout: 30_000 });
    expect(token).toMatch(/^agl_[A-Za-z0-9]{38}$/);

    // Watch the study page while a program runs the loop.
    await page.goto(studyUrl);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });
    expect(await page.locator('[data-testid="trial-row"]').count()).toBe(0);

    // The project's study list, open in another tab, follows along too.
    const listPage = await page.context().newPage();
    await listPage.goto(`${platform.url}/projects/${projectId}`);
    await listPage.waitForSelector('[data-testid="study-trials"]', { timeout: 30_000 });
    expect((await listPage.textContent('[data-testid="study-trials"]'))?.trim()).toBe("0 / 0");

    const client = createClient({ server: platform.url, token });
    const values: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = await client.trials.ask(studyId);
      const x = Number(t.params.x);
      const y = Number(t.params.y);
      const loss = (x - 1) ** 2 + (y + 2) ** 2 + (t.params.act === "gelu" ? 0 : 0.5);
      for (let step = 0; step < 3; step++) await client.trials.report(t.trialId, step, loss * (3 - step));
      await client.trials.tell(t.trialId, loss);
      values.push(loss);
    }
    const best = Math.min(...values);

    // No reload: the socket doorbell makes the page refetch.
    await expect.poll(() => page.locator('[data-testid="trial-row"]').count(), { timeout: 20_000 }).toBe(8);
    await expect
      .poll(async () => Number((await page.textContent('[data-testid="best-value"]'))?.replace(/[^0-9.eE+-]/g, "")), {
        timeout: 20_000,
      })
      .toBeCloseTo(best, 3);
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="history-chart"]', "data-points")), { timeout: 20_000 })
      .toBe(8);
    expect(await page.locator('[data-testid="history-chart"] svg').count()).toBeGreaterThan(0);
    // One learning curve per trial that reported, and the importance of each parameter.
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="curves-chart"]', "data-trials")), { timeout: 20_000 })
      .toBe(8);
    expect(await page.locator('[data-testid="curves-chart"] .recharts-line-curve').count()).toBe(8);
    // Hovering a line says which trial it is (its curves are straight: the box's centre is on it).
    await page.locator('[data-testid="curves-chart"] .recharts-line-curve').first().hover();
    await expect
      .poll(async () => await page.textContent('[data-testid="curve-hover"]').catch(() => null), { timeout: 5_000 })
      .toMatch(/^trial #\d+ · complete · step 2: /);
    await page.mouse.move(0, 0);
    await expect
      .poll(
        async () =>
          ((await page.getAttribute('[data-testid="importance-chart"]', "data-params")) ?? "").split(",").sort().join(","),
        { timeout: 20_000 },
      )
      .toBe("act,x,y");
    // One labelled bar row per parameter (a zero share draws no rectangle, but keeps its row).
    const rows = await page.locator('[data-testid="importance-chart"] .recharts-yAxis-tick-labels text').allTextContents();
    expect(rows.sort()).toEqual(["act", "x", "y"]);
    await expect
      .poll(async () => (await listPage.textContent('[data-testid="study-trials"]'))?.trim(), { timeout: 20_000 })
      .toBe("8 / 8");
    // And the projects list counts a study a program creates.
    await listPage.goto(`${platform.url}/projects`);
    await expect
      .poll(async () => await listPage.textContent('[data-testid="project-study-count"]'), { timeout: 20_000 })
      .toMatch(/^\s*1 study/);
    await client.studies.create({ projectId, yaml: SPEC_YAML.replace("name: e2e-quadratic", "name: e2e-second") });
    await expect
      .poll(async () => await listPage.textContent('[data-testid="project-study-count"]'), { timeout: 20_000 })
      .toMatch(/^\s*2 studies/);
    await listPage.close();

    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, "study-page.png"), fullPage: true });

    // Sorting by value puts the best trial first.
    await page.click('[data-testid="sort-value"]');
    await expect
      .poll(async () => Number(await page.locator('[data-testid="trial-value"]').first().textContent()), { timeout: 10_000 })
      .toBeCloseTo(best, 3);

    expect(projectId).toMatch(/[0-9a-f-]{36}/);
  });
});

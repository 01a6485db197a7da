import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// The study page's tools in a real browser: the "Improvement left" card once 20 trials are
// complete, a study whose budget.stop_when completes it saying why, "Re-run with these params"
// (the next ask gets exactly those params, shown as enqueued), and a warm-started study's note.

const spec = (name: string, extra = "") => `name: ${name}
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 5}
  act: {type: categorical, choices: [relu, tanh]}
sampler: {name: random, seed: 3}
budget: {max_trials: 60, max_parallel: 4${extra}}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-tools");
  browser = await launchBrowser();
  if (browser) {
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await signUp(page, platform.url, { email: `tools-${Date.now()}@example.com`, name: "Toolmaker", team: "Tools" });
    const token = await createTokenInUi(page, platform.url, { name: "tools" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function runTrials(studyId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = await client.trials.ask(studyId);
    await client.trials.tell(t.trialId, (Number(t.params.x) - 1) ** 2);
  }
}

describe("study tools", () => {
  it("plots the improvement left, stops a study on stop_when, re-runs a trial's params and notes a warm start", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "tools" });
    const source = await client.studies.create({ projectId: project.id, yaml: spec("tools-source") });
    await runTrials(source.id, 21);

    // Improvement left: a point per checkpoint from 20 complete trials on.
    await page.goto(`${platform.url}/studies/${source.id}`);
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="improvement-chart"]', "data-points")), { timeout: 30_000 })
      .toBe(2);
    await page.waitForSelector('[data-testid="improvement-now"]:has-text("now ")');

    // Re-run trial #3's params: the new trial is enqueued with exactly those params and the next ask gets it.
    const trials = await client.trials.list({ studyId: source.id, limit: 50 });
    const third = trials.items.find((t) => t.number === 3)!;
    await page.goto(`${platform.url}/studies/${source.id}/trials/${third.id}`);
    await page.click('[data-testid="rerun-trial"]');
    await page.click('[data-testid="rerun-trial-link"]');
    await page.waitForURL(/\/trials\/[0-9a-f-]{36}$/);
    await page.waitForSelector('[data-testid="enqueued-badge"]');
    const next = await client.trials.ask(source.id);
    expect(page.url()).toContain(next.trialId);
    expect(next.params).toEqual(third.params);
    await client.trials.tell(next.trialId, 0.5);

    // Warm start: the new study's header names its source and how many trials it learned from.
    const warm = await client.studies.create({
      projectId: project.id,
      yaml: spec("tools-warm") + `warm_start: {from: ${source.id}}\n`,
    });
    await page.goto(`${platform.url}/studies/${warm.id}`);
    await page.waitForSelector('[data-testid="warm-start-note"]:has-text("warm-started from tools-source (22 trials)")');

    // stop_when: a threshold the estimate is under at once completes the study after 20 trials, saying why.
    const stopping = await client.studies.create({
      projectId: project.id,
      yaml: spec("tools-stop", ", stop_when: {improvement_below: 1000000}"),
    });
    await runTrials(stopping.id, 20);
    await page.goto(`${platform.url}/studies/${stopping.id}`);
    await page.waitForSelector('[data-testid="study-stop-reason"]:has-text("budget.stop_when: the improvement left")', {
      timeout: 30_000,
    });
    expect(await page.textContent('[data-testid="study-stop-reason"]')).toMatch(/fell below 1000000 after 20 complete trials/);
  });
});

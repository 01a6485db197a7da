import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// A first visit to a study page: the person's teams and role come with the page's HTML, so the
// page asks for its study right after it starts instead of after a round trip for them.

const SPEC_YAML = `name: e2e-first-load
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 5}
budget: {max_trials: 3, max_parallel: 3}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-page-first-load");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    await signUp(page, platform.url, { email: `first-load-${Date.now()}@example.com`, name: "First", team: "Loaders" });
    const token = await createTokenInUi(page, platform.url, { name: "first-load" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("the study page's first load", () => {
  it("draws the study with the team known from the page itself, never asking who the person is", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "first-load" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC_YAML });
    for (let i = 0; i < 3; i++) {
      const t = await client.trials.ask(study.id);
      await client.trials.tell(t.trialId, Number(t.params.x));
    }

    const fresh = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      storageState: await page.context().storageState(),
    });
    const visit = await fresh.newPage();
    const asked: string[] = [];
    visit.on("request", (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/api/trpc/")) asked.push(...u.pathname.slice("/api/trpc/".length).split(","));
    });
    await visit.goto(`${platform.url}/studies/${study.id}`);
    await expect
      .poll(() => visit.locator('[data-testid="history-chart"]').getAttribute("data-points"), { timeout: 30_000 })
      .toBe("3");
    await expect.poll(() => visit.locator('[data-testid="trial-row"]').count(), { timeout: 30_000 }).toBe(3);
    await expect
      .poll(() => visit.locator('[data-testid="team-switcher"] option:checked').textContent(), { timeout: 30_000 })
      .toBe("Loaders (owner)");

    expect(asked).toContain("study.get");
    expect(asked).not.toContain("auth.me");
    await fresh.close();
  });
});

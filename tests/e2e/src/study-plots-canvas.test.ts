import { createClient } from "@autoglm/sdk";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";
import { createTokenInUi, signUp } from "./ui-flows.js";

// A study with more trials than the plots draw as SVG marks (CANVAS_FROM, 300): the history,
// slice, EDF, contour, rank and parallel-coordinates marks go on canvases. A person pointing at
// a mark still reads which trial it is, and a click still opens it. The trial pointed at is the
// only one at its place: the lowest x of all, told a loss of 0 where every other one has 1 + x.

const TRIALS = 320;
const SPEC_YAML = `name: e2e-canvas
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
  y: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 3}
budget: {max_trials: ${TRIALS}, max_parallel: ${TRIALS}}
`;

let platform: Platform;
let browser: Browser | null;
let page: Page;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  platform = await startPlatform("study-plots-canvas");
  browser = await launchBrowser();
  if (browser) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    await signUp(page, platform.url, { email: `canvas-${Date.now()}@example.com`, name: "Painter", team: "Canvas" });
    const token = await createTokenInUi(page, platform.url, { name: "canvas" });
    client = createClient({ server: platform.url, token });
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

/**
 * Where a value sits on a chart's axis, in page pixels, read as a person reads it: from the
 * positions of two of the axis's tick labels and their numbers.
 */
async function axisPixel(card: string, axis: "x" | "y", value: number): Promise<number> {
  const ticks = page.locator(`[data-testid="${card}"] .recharts-${axis}Axis-tick-labels text`);
  const read = await ticks.evaluateAll((ts) =>
    ts.map((t) => {
      const b = t.getBoundingClientRect();
      return { text: t.textContent ?? "", x: b.x + b.width / 2, y: b.y + b.height / 2 };
    }),
  );
  const known = read.filter((t) => t.text !== "" && Number.isFinite(Number(t.text)));
  expect(known.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [known[0]!, known.at(-1)!];
  const [va, vb] = [Number(a.text), Number(b.text)];
  const [pa, pb] = axis === "x" ? [a.x, b.x] : [a.y, b.y];
  return pa + ((value - va) / (vb - va)) * (pb - pa);
}

/**
 * Moves the pointer onto (x, y) from a few pixels above, so the page sees a move even when the
 * pointer already rests there (a move to where it is may fire no event, and a chart that was
 * still loading on the first move would otherwise never hear of the pointer again).
 */
async function pointAt(x: number, y: number): Promise<void> {
  await page.mouse.move(x, y - 6);
  await page.mouse.move(x, y);
}

/**
 * Scrolls a card to the middle of the window. Done again before each measurement: cards above
 * it that finish loading later grow and push it down, out of the window, where a pointer
 * moved to its measured place reaches nothing.
 */
async function centre(testId: string): Promise<void> {
  await page.locator(`[data-testid="${testId}"]`).evaluate((e) => e.scrollIntoView({ block: "center" }));
}

/** The text of the element a selector names, as it is now ("" when there is none): no waiting. */
async function textNow(selector: string): Promise<string> {
  return (await page.locator(selector).allTextContents())[0] ?? "";
}

/**
 * Points again (the plot may still move) and clicks where trial `number` is named, until its
 * page (`trialUrl`) opens.
 */
async function clickUntilOpened(point: () => Promise<[number, number, string]>, number: number, trialUrl: string): Promise<void> {
  await expect
    .poll(
      async () => {
        if (page.url().endsWith(trialUrl)) return true;
        const [x, y, named] = await point();
        if (named.startsWith(`trial #${number} `)) await page.mouse.click(x, y);
        return page.url().endsWith(trialUrl);
      },
      { timeout: 30_000, interval: 1_000 },
    )
    .toBe(true);
}

describe("plots drawn on a canvas", () => {
  it("name the trial under the pointer and open it on a click", async (ctx) => {
    if (!browser) return ctx.skip();
    const project = await client.projects.create({ name: "canvas" });
    const study = await client.studies.create({ projectId: project.id, yaml: SPEC_YAML });
    const asked: Array<{ trialId: string; number: number; x: number }> = [];
    // Asked 16 at a time: a bounded number of requests in flight.
    for (let i = 0; i < TRIALS; i += 16) {
      const batch = await Promise.all(Array.from({ length: Math.min(16, TRIALS - i) }, () => client.trials.ask(study.id)));
      asked.push(...batch.map((t) => ({ trialId: t.trialId, number: t.number, x: Number(t.params.x) })));
    }
    const target = asked.reduce((lo, t) => (t.x < lo.x ? t : lo));
    for (let i = 0; i < asked.length; i += 16) {
      await Promise.all(
        asked.slice(i, i + 16).map((t) => client.trials.tell(t.trialId, t.trialId === target.trialId ? 0 : 1 + t.x)),
      );
    }

    await page.goto(`${platform.url}/studies/${study.id}`);
    await page.waitForSelector('[data-testid="live-indicator"][data-connected="true"]', { timeout: 30_000 });
    // Every scatter-heavy plot draws its marks on a canvas, all of them.
    for (const canvas of ["history-canvas", "slice-canvas", "edf-canvas", "contour-canvas", "parallel-canvas"]) {
      await expect
        .poll(() => page.getAttribute(`[data-testid="${canvas}"]`, "data-drawn").catch(() => null), {
          timeout: 30_000,
          message: `${canvas} draws every trial`,
        })
        .toBe(String(TRIALS));
    }
    await expect.poll(() => page.locator('[data-testid="rank-canvas"][data-drawn]').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getAttribute('[data-testid="rank-canvas"]', "data-drawn")).toBe(String(TRIALS));
    expect(await page.locator('[data-testid="slice-dot"], [data-testid="parallel-line"]').count()).toBe(0);

    // History: the target alone at its number and a loss of 0, the best so far from then on.
    const [hx, hy] = [await axisPixel("history-chart", "x", target.number), await axisPixel("history-chart", "y", 0)];
    await expect
      .poll(
        async () => {
          await pointAt(hx, hy);
          return textNow('[data-testid="history-hover"]');
        },
        { timeout: 10_000 },
      )
      .toBe(`trial #${target.number} · complete · objective 0 · best so far 0`);

    // Slice over x: the target is alone at the lowest x and a loss of 0.
    await centre("slice-card");
    await page.selectOption('[data-testid="slice-param"]', "x");
    // Measured and pointed at again on each poll: the cards above may still be laying out.
    const pointAtTarget = async (): Promise<[number, number, string]> => {
      await centre("slice-card");
      const [x, y] = [await axisPixel("slice-card", "x", target.x), await axisPixel("slice-card", "y", 0)];
      await pointAt(x, y);
      return [x, y, await textNow('[data-testid="slice-hover"]')];
    };
    let [sx, sy] = [0, 0];
    await expect
      .poll(
        async () => {
          const [x, y, named] = await pointAtTarget();
          [sx, sy] = [x, y];
          return named;
        },
        { timeout: 10_000 },
      )
      .toMatch(new RegExp(`^trial #${target.number} · complete · x = [0-9.e-]+ · objective 0$`));
    // Off every mark, nothing is named.
    await page.mouse.move(sx + 200, sy);
    await expect.poll(() => page.locator('[data-testid="slice-hover"]').count(), { timeout: 5_000 }).toBe(0);
    // A click where the target is named opens its trial.
    const trialUrl = `/studies/${study.id}/trials/${target.trialId}`;
    await clickUntilOpened(pointAtTarget, target.number, trialUrl);
    await page.waitForURL(`**${trialUrl}`, { timeout: 20_000 });
    await page.goBack();

    // Parallel coordinates over x and the objective: the target's line is the only one along the bottom
    // (the lowest x, a loss of 0); every other line ends at least half way up the objective's axis.
    await centre("parallel-card");
    await page.click('[data-testid="parallel-axes"]');
    await page.uncheck('[data-testid="parallel-axis-y"]');
    await page.click('[data-testid="parallel-axes"]');
    await expect.poll(() => page.locator('[data-testid="parallel-brush-axis"]').count(), { timeout: 5_000 }).toBe(2);
    // Half way between the axes, on the axes' lower end (their grab bands reach 4 px past it),
    // measured and pointed at again on each poll: the plot may still be laying out after the
    // axes changed (the page was just navigated back to).
    const pointAtBottomLine = async (): Promise<[number, number, string]> => {
      await centre("parallel-card");
      const xAxis = (await page.locator('[data-testid="parallel-brush-axis"][data-axis="x"]').boundingBox())!;
      const objective = (await page.locator('[data-testid="parallel-brush-axis"][data-axis="objective"]').boundingBox())!;
      const [x, y] = [(xAxis.x + objective.x + objective.width) / 2, objective.y + objective.height - 4];
      await pointAt(x, y);
      return [x, y, await textNow('[data-testid="parallel-hover"]')];
    };
    await expect
      .poll(async () => (await pointAtBottomLine())[2], { timeout: 30_000 })
      .toMatch(new RegExp(`^trial #${target.number} · objective 0 · x=`));
    await clickUntilOpened(pointAtBottomLine, target.number, trialUrl);
  }, 180_000);
});

import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./ui-flows.js";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";

// Team flows in the browser: an owner invites a teammate as a viewer by a link,
// the teammate (a separate person with a team of their own) accepts it, switches between
// the two teams, and as a viewer cannot create a project in the owner's team.

let platform: Platform;
let browser: Browser | null;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  platform = await startPlatform("teams");
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
});

async function newPerson(name: string, team: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1300, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await signUp(page, platform.url, { email: `${name.toLowerCase()}-${Date.now()}@example.com`, name, team });
  return page;
}

describe("teams", () => {
  it("invites a viewer by link, who switches teams and cannot change the owner's team", async (ctx) => {
    if (!browser) return ctx.skip();
    const owner = await newPerson("Olivia", "Vision Lab");
    await owner.goto(`${platform.url}/projects`);
    await owner.click('[data-testid="new-project"]');
    await owner.fill('[data-testid="project-name"]', "detector");
    await owner.click('[data-testid="create-project"]');
    await owner.waitForSelector('[data-testid="project-row"] a:has-text("detector")');

    await owner.goto(`${platform.url}/settings/members`);
    await owner.selectOption('[data-testid="invite-role"]', "viewer");
    await owner.click('[data-testid="create-invite"]');
    const link = await owner.inputValue('[data-testid="invite-reveal-value"]', { timeout: 30_000 });
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]+$/);

    const mate = await newPerson("Marco", "Marco's Team");
    await mate.goto(link);
    await mate.click('[data-testid="accept-invite"]');
    await mate.waitForURL(/\/projects$/, { timeout: 30_000 });

    // The new team is selected; its projects show, and both teams are in the switcher.
    await mate.waitForSelector('[data-testid="project-row"] a:has-text("detector")', { timeout: 30_000 });
    const options = await mate.locator('[data-testid="team-switcher"] option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(["Vision Lab (viewer)", "Marco's Team (owner)"]));

    // A viewer sees no way to create a project, and the API refuses it anyway.
    expect(await mate.locator('[data-testid="new-project"]').count()).toBe(0);

    // Switching back to their own team shows that team's (empty) project list.
    const own = await mate.locator('[data-testid="team-switcher"] option', { hasText: "Marco's Team" }).getAttribute("value");
    await mate.selectOption('[data-testid="team-switcher"]', own!);
    await expect.poll(() => mate.locator('[data-testid="project-row"]').count(), { timeout: 20_000 }).toBe(0);
    await mate.waitForSelector('[data-testid="new-project"]');

    // The owner sees the new member with their role.
    await owner.goto(`${platform.url}/settings/members`);
    await expect
      .poll(async () => (await owner.locator('[data-testid="member-row"]').allTextContents()).join(" | "), { timeout: 20_000 })
      .toContain("Marco");
  });
});

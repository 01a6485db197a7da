import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./ui-flows.js";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";

// Sign-in and sign-out in a real Chromium:
// - a callbackUrl the browser would turn into another site ("/\t/evil.test" is "//evil.test"
//   once the tab is stripped) never takes a signed-in user off the platform's origin;
// - a session cookie copied before a normal sign-out is refused (401) after it (S4).

const PASSWORD = "correct horse battery staple";
let platform: Platform;
let browser: Browser | null;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  platform = await startPlatform("auth");
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
});

async function newPerson(name: string): Promise<{ page: Page; context: BrowserContext; email: string }> {
  const context = await browser!.newContext({ viewport: { width: 1300, height: 900 } });
  contexts.push(context);
  // Were the redirect followed, "evil.test" would answer (there is no DNS for it here).
  await context.route(
    (url) => url.hostname === "evil.test",
    (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<title>phished</title>phished" }),
  );
  const page = await context.newPage();
  const email = `${name.toLowerCase()}-${Date.now()}@example.com`;
  await signUp(page, platform.url, { email, name, team: `${name}'s team` });
  return { page, context, email };
}

async function signOutInUi(page: Page): Promise<void> {
  await page.goto(`${platform.url}/projects`);
  await page.click('[data-testid="sign-out"]');
  await page.waitForURL((u) => u.pathname.startsWith("/signin"), { timeout: 30_000 });
}

async function signInInUi(page: Page, callbackUrlQuery: string | null, email: string): Promise<void> {
  await page.goto(`${platform.url}/signin${callbackUrlQuery === null ? "" : `?callbackUrl=${callbackUrlQuery}`}`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await page.click('[data-testid="signin-submit"]');
  await page.waitForURL((u) => !(u.origin === platform.url && u.pathname.startsWith("/signin")), { timeout: 30_000 });
}

describe("after sign-in", () => {
  it("stays on the platform's origin whatever callbackUrl says", async (ctx) => {
    if (!browser) return ctx.skip();
    const { page, email } = await newPerson("Redirect");
    for (const hostile of [
      "%2F%09%2Fevil.test%2Fphish",
      "%2F%0A%2Fevil.test%2Fphish",
      "%2F%5Cevil.test%2Fphish",
      "https%3A%2F%2Fevil.test%2Fphish",
    ]) {
      await signOutInUi(page);
      await signInInUi(page, hostile, email);
      const landed = new URL(page.url());
      expect(landed.origin, hostile).toBe(platform.url);
      expect(landed.pathname, hostile).toBe("/projects");
    }
    // A real path on the platform is kept: the sign-in redirect of a signed-out visitor returns there.
    await signOutInUi(page);
    await page.goto(`${platform.url}/settings/tokens`);
    await page.waitForURL((u) => u.pathname === "/signin", { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get("callbackUrl")).toBe("/settings/tokens");
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click('[data-testid="signin-submit"]');
    await page.waitForURL((u) => u.pathname === "/settings/tokens", { timeout: 30_000 });
  });
});

describe("sign-out", () => {
  it("ends the session server-side: a cookie copied before it gets 401 after it", async (ctx) => {
    if (!browser) return ctx.skip();
    const { page, context } = await newPerson("Leaver");
    const cookie = (await context.cookies(platform.url)).find((c) => c.name.endsWith("next-auth.session-token"));
    expect(cookie).toBeDefined();
    const replay = () => fetch(`${platform.url}/api/trpc/auth.me`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect((await replay()).status).toBe(200);
    await signOutInUi(page);
    const after = await replay();
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { data: { appCode: string } } }).error.data.appCode).toBe("SESSION_ENDED");
  });
});

describe("the top bar", () => {
  it("keeps the team switcher and Sign out on screen down to 800 px; Settings opens the team's settings tabs", async (ctx) => {
    if (!browser) return ctx.skip();
    const { page } = await newPerson("Narrow");
    for (const width of [1280, 1024, 800]) {
      await page.setViewportSize({ width, height: 700 });
      await page.goto(`${platform.url}/projects`);
      const signOut = await page.locator('[data-testid="sign-out"]').boundingBox();
      const team = await page.locator('[data-testid="team-switcher"]').boundingBox();
      expect(signOut!.x + signOut!.width, `Sign out at ${width} px`).toBeLessThanOrEqual(width);
      expect(team!.x + team!.width, `team switcher at ${width} px`).toBeLessThanOrEqual(width);
      expect(await page.locator("html").evaluate((html) => html.scrollWidth), `page width at ${width} px`).toBe(width);
      // Every section of the bar is on screen, none cut at the edge.
      const sections = await page.locator("nav.nav a").evaluateAll((as) => as.map((a) => a.getBoundingClientRect().right));
      expect(sections).toHaveLength(5);
      const navRight = await page.locator("nav.nav").evaluate((n) => n.getBoundingClientRect().right);
      for (const right of sections) expect(right, `nav at ${width} px`).toBeLessThanOrEqual(navRight + 0.5);
    }
    await page.click('nav.nav a:has-text("Settings")');
    await page.waitForURL((u) => u.pathname === "/settings/tokens", { timeout: 30_000 });
    const tabs = page.locator('[data-testid="settings-tabs"] a');
    expect(await tabs.allTextContents()).toEqual([
      "API tokens",
      "Members",
      "Webhooks",
      "Audit",
      "Single sign-on",
      "Your account",
    ]);
    expect(await page.getAttribute('[data-testid="settings-tabs"] a[aria-current="page"]', "href")).toBe("/settings/tokens");
    await tabs.filter({ hasText: "Webhooks" }).click();
    await page.waitForURL((u) => u.pathname === "/settings/webhooks", { timeout: 30_000 });
    expect(await page.getAttribute("nav.nav a.active", "href")).toBe("/settings/tokens");
  });
});

describe("sign-up of an email that already has an account", () => {
  it("answers like any sign-up; only the account's password gets in", async (ctx) => {
    if (!browser) return ctx.skip();
    const { email } = await newPerson("Owner");
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const fill = async (password: string) => {
      await page.goto(`${platform.url}/signup`);
      await page.fill("#email", email);
      await page.fill("#name", "Someone Else");
      await page.fill("#password", password);
      await page.click('[data-testid="signup-submit"]');
    };
    await fill("not the owner's password");
    await expect
      .poll(() => page.textContent('[data-testid="signup-error"]').catch(() => null), { timeout: 30_000 })
      .toMatch(/If you already have an account with this email, sign in with its password instead/);
    // The owner, who forgot they had signed up, lands in their own account.
    await fill(PASSWORD);
    await page.waitForURL((u) => u.pathname === "/projects", { timeout: 30_000 });
    await expect
      .poll(() => page.locator('[data-testid="team-switcher"] option').allTextContents(), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(["Owner's team (owner)"]));
  });
});

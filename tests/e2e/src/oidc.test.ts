import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, launchBrowser, startPlatform, type Platform } from "./harness.js";
import { startIdp, type TIdp, type TIdpMode } from "./oidc-provider.js";
import { signUp } from "./ui-flows.js";

// Single sign-on through a real OpenID provider process: a team admin maps a group and an
// email domain to roles on the settings page; a person signs in through the provider, lands
// in the dashboard with the mapped team and role, and has no password; a tampered ID token,
// one from a foreign issuer, and a provider that has moved to another issuer are refused.

let platform: Platform;
let idp: TIdp;
let browser: Browser | null;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  const port = await freePort();
  idp = await startIdp({
    port: await freePort(),
    redirectUri: `http://127.0.0.1:${port}/api/auth/callback/oidc`,
    accounts: {
      ada: { email: "ada@acme.test", email_verified: true, name: "Ada Lovelace", groups: ["ml-admins"] },
      bob: { email: "bob@acme.test", email_verified: true, name: "Bob", groups: [] },
    },
  });
  platform = await startPlatform("oidc", [], {
    port,
    env: {
      AUTH_OIDC_ISSUER: idp.issuer,
      AUTH_OIDC_CLIENT_ID: idp.clientId,
      AUTH_OIDC_CLIENT_SECRET: idp.clientSecret,
      AUTH_OIDC_NAME: "Acme SSO",
      AUTH_OIDC_SCOPES: "openid email profile groups",
    },
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await platform?.stop();
  await idp?.close();
});

async function newPage(): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1300, height: 900 } });
  contexts.push(context);
  return context.newPage();
}

/** Clicks "Sign in with Acme SSO" and goes through the provider's login and consent pages. */
async function signInThroughIdp(page: Page, login: string, mode: TIdpMode = "honest"): Promise<void> {
  idp.setMode(mode);
  await page.goto(`${platform.url}/signin`);
  await page.click('[data-testid="signin-sso"]');
  await page.waitForURL((u) => u.origin === idp.issuer, { timeout: 30_000, waitUntil: "domcontentloaded" });
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', "any password");
  await page.click('button[type="submit"]');
  await page.waitForSelector('button:has-text("Continue")', { timeout: 30_000 });
  await page.click('button:has-text("Continue")');
  await page.waitForURL((u) => u.origin === platform.url, { timeout: 30_000 });
}

async function teamsOf(page: Page): Promise<string[]> {
  await page.waitForSelector('[data-testid="team-switcher"]', { timeout: 30_000 });
  return page.locator('[data-testid="team-switcher"] option').allTextContents();
}

describe("single sign-on (OIDC)", () => {
  it("an admin maps a group and a domain; SSO sign-in creates the user in the mapped team with the mapped role", async (ctx) => {
    if (!browser) return ctx.skip();
    const owner = await newPage();
    await signUp(owner, platform.url, { email: `olivia-${Date.now()}@example.com`, name: "Olivia", team: "Acme ML" });
    await owner.goto(`${platform.url}/settings/sso`);
    await owner.click('[data-testid="sso-add"]');
    await owner.selectOption("#sso-kind-0", "group");
    await owner.fill("#sso-value-0", "ml-admins");
    await owner.selectOption("#sso-role-0", "admin");
    await owner.click('[data-testid="sso-add"]');
    await owner.fill("#sso-value-1", "ACME.test");
    await owner.selectOption("#sso-role-1", "viewer");
    await owner.click('[data-testid="sso-save"]');
    await owner.waitForSelector('[data-testid="sso-saved"]', { timeout: 30_000 });

    const ada = await newPage();
    await signInThroughIdp(ada, "ada");
    await ada.waitForURL(/\/projects$/, { timeout: 30_000 });
    expect(await teamsOf(ada)).toContain("Acme ML (admin)");
    await expect(ada.locator('[data-testid="account-link"]').textContent()).resolves.toContain("Ada Lovelace");

    const bob = await newPage();
    await signInThroughIdp(bob, "bob");
    await bob.waitForURL(/\/projects$/, { timeout: 30_000 });
    expect(await teamsOf(bob)).toContain("Acme ML (viewer)");

    // The owner sees both, added by single sign-on.
    await owner.goto(`${platform.url}/settings/members`);
    await owner.waitForSelector('[data-testid="member-row"]:has-text("ada@acme.test")', { timeout: 30_000 });
    await owner.waitForSelector('[data-testid="member-row"]:has-text("bob@acme.test")');
  });

  it("a user created by SSO has no password: password sign-in is refused with a clear message", async (ctx) => {
    if (!browser) return ctx.skip();
    const page = await newPage();
    await page.goto(`${platform.url}/signin`);
    await page.fill("#email", "ada@acme.test");
    await page.fill("#password", "any password at all");
    await page.click('[data-testid="signin-submit"]');
    await expect(page.locator('[data-testid="signin-error"]').textContent({ timeout: 30_000 })).resolves.toMatch(
      /signs in with single sign-on and has no password/,
    );
  });

  const refusals: [TIdpMode, RegExp][] = [
    ["tampered", /could not be verified/],
    ["foreign-issuer", /could not be verified/],
    ["moved-issuer", /another identity provider than the one configured/],
  ];
  for (const [mode, message] of refusals) {
    it(`refuses a ${mode} ID token: back on the sign-in page, signed out`, async (ctx) => {
      if (!browser) return ctx.skip();
      const page = await newPage();
      try {
        await signInThroughIdp(page, "bob", mode);
      } finally {
        idp.setMode("honest");
      }
      await page.waitForURL(/\/signin\?.*error=/, { timeout: 30_000 });
      await expect(page.locator('[data-testid="signin-error"]').textContent({ timeout: 30_000 })).resolves.toMatch(message);
      const session = await page.evaluate(async () => (await fetch("/api/auth/session")).json());
      expect(session).toEqual({});
      expect(await page.evaluate(async () => (await fetch("/api/trpc/auth.me")).status)).toBe(401);
    });
  }

  it("the server's log holds neither the client secret nor any ID token", () => {
    const out = platform.output();
    expect(idp.idTokens.length).toBeGreaterThanOrEqual(4);
    expect(out).not.toContain(idp.clientSecret);
    for (const t of idp.idTokens) expect(out).not.toContain(t.split(".")[2]);
  });
});

import type { Page } from "playwright-core";

/** Signs a new person up through the dashboard (which creates their team) and waits for the app. */
export async function signUp(page: Page, baseUrl: string, input: { email: string; name: string; team: string }): Promise<void> {
  await page.goto(`${baseUrl}/signup`);
  await page.fill("#email", input.email);
  await page.fill("#name", input.name);
  await page.fill("#password", "correct horse battery staple");
  await page.fill("#teamName", input.team);
  await page.click('[data-testid="signup-submit"]');
  await page.waitForURL((u) => !u.pathname.startsWith("/signup"), { timeout: 30_000 });
}

/** Creates an API token on the tokens page (default scopes read + write) and returns the one-time secret. */
export async function createTokenInUi(page: Page, baseUrl: string, input: { name: string; agent?: boolean }): Promise<string> {
  await page.goto(`${baseUrl}/settings/tokens`);
  await page.fill('[data-testid="token-name"]', input.name);
  if (input.agent) await page.check('[data-testid="scope-agent"]');
  await page.click('[data-testid="create-token"]');
  return page.inputValue('[data-testid="token-reveal-value"]', { timeout: 30_000 });
}

import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenInUi, signUp } from "./ui-flows.js";
import { launchBrowser, startPlatform, type Platform } from "./harness.js";

// Team webhooks in the browser: an admin adds one on Settings → Webhooks (the platform's own URL
// is refused with the reason), copies the secret shown once, a study completes, and the page
// lists the signed delivery a real receiver got; Redeliver sends it again.

let platform: Platform;
let browser: Browser | null;
let context: BrowserContext | undefined;
let receiver: Server;
let receiverUrl: string;
const got: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ci/autoglm`;
  platform = await startPlatform("webhooks", [], { env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await platform?.stop();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

async function api<T>(token: string, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${platform.url}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: T } };
  if (!res.ok || !body.result) throw new Error(`${procedure} answered ${res.status}: ${JSON.stringify(body)}`);
  return body.result.data;
}

describe("webhooks", () => {
  it("adds a webhook, shows its secret once, and lists the signed study.completed delivery with Redeliver", async (ctx) => {
    if (!browser) return ctx.skip();
    context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    await signUp(page, platform.url, { email: `hooks-${Date.now()}@example.com`, name: "Hana", team: "Hooks Lab" });
    const token = await createTokenInUi(page, platform.url, { name: "ci" });

    await page.goto(`${platform.url}/settings/webhooks`);
    await page.fill('[data-testid="webhook-url"]', `${platform.url}/hooks`);
    await page.click('[data-testid="create-webhook"]');
    await page.waitForSelector('[data-testid="webhook-error"]:has-text("points at this platform itself")');

    await page.fill('[data-testid="webhook-url"]', receiverUrl);
    await page.uncheck('[data-testid="webhook-event-study.failed"]');
    await page.click('[data-testid="create-webhook"]');
    const secret = await page.inputValue('[data-testid="webhook-secret-value"]', { timeout: 30_000 });
    expect(secret).toMatch(/^whsec_/);
    await page.waitForSelector(`[data-testid="webhook-row-url"]:has-text("${receiverUrl}")`);

    const project = await api<{ id: string }>(token, "project.create", { name: "hooked" });
    const study = await api<{ id: string }>(token, "study.create", {
      projectId: project.id,
      yaml: "name: hooked\nobjective: {metric: loss, direction: minimize}\nspace:\n  x: {type: float, low: 0, high: 1}\nbudget: {max_trials: 1}\n",
    });
    const trial = await api<{ trialId: string }>(token, "trial.ask", { studyId: study.id });
    await api(token, "trial.tell", { trialId: trial.trialId, value: 0.5 });

    // The deliveries of the new webhook are open and refresh on their own.
    await page.waitForSelector('[data-testid="delivery-status"]:has-text("delivered")', { timeout: 30_000 });
    expect(await page.locator('[data-testid="delivery-code"]').first().textContent()).toBe("204");
    expect(got).toHaveLength(1);
    const { t, v1 } = Object.fromEntries(
      String(got[0]!.headers["x-autoglm-signature"])
        .split(",")
        .map((kv) => kv.split("=")),
    );
    expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${got[0]!.body}`).digest("hex"));
    expect(JSON.parse(got[0]!.body)).toMatchObject({ event: "study.completed", data: { study: { id: study.id } } });

    await page.click('[data-testid="redeliver"]');
    await expect.poll(() => page.locator('[data-testid="delivery-row"]').count(), { timeout: 30_000 }).toBe(2);
    await expect
      .poll(() => page.locator('[data-testid="delivery-status"]').allTextContents(), { timeout: 30_000 })
      .toEqual(["delivered", "delivered"]);
    expect(got).toHaveLength(2);
    expect(got[1]!.body).toBe(got[0]!.body);
    // The secret is not on the page once dismissed, nor in the list.
    await page.reload();
    expect(await page.content()).not.toContain(secret);
  });
});

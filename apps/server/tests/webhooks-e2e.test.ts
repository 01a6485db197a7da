/**
 * Webhooks through a real server: an admin adds one over HTTP (refused targets answered
 * precisely), a study completes through ask/tell, and the server's own sender POSTs
 * `study.completed` to a real receiver on 127.0.0.1; the deliveries list and Redeliver work.
 */
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { REPO_ROOT } from "../src/env.js";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

const PASSWORD = "correct horse battery";
const STUDY = `name: hooked
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 1}
budget: {max_trials: 1, max_parallel: 1}
`;

let db: TestDb;
let dataDir: string;
let server: RunningServer;
let hooks: Server;
let hookUrl: string;
const got: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-webhooks-"));
  hooks = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200).end("thanks");
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/autoglm`;
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    ...(db.url ? { databaseUrl: db.url } : {}),
    env: {},
    log: (l) => logs.push(l),
    webhookAllowPrivateTargets: true,
    webhookSender: { pollIntervalMs: 200, retryBaseMs: 100 },
  });
}, 120_000);
afterAll(async () => {
  await server?.close();
  hooks?.closeAllConnections();
  await new Promise((r) => hooks?.close(r));
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("webhooks through the real server", () => {
  it("delivers study.completed, signed, when a study completes; lists and redelivers it", async () => {
    const browser = new Browser(server.url);
    const email = `hooks-${Date.now()}@example.com`;
    await browser.call("auth.signUp", { email, password: PASSWORD, name: "hooks", teamName: "Hooks team" });
    expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
    const me = await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true });
    const org = me.orgs[0]!.id;

    // Refused even with private targets allowed: the platform itself and the metadata service.
    for (const [url, message] of [
      [`${server.url}/api/trpc/auth.me`, `The webhook URL points at this platform itself (127.0.0.1:${server.port}).`],
      ["http://169.254.169.254/latest/meta-data/", "The webhook URL is refused: 169.254.169.254 is a link-local address."],
    ] as const) {
      const r = await browser.trpc("webhook.create", { url, events: ["study.completed"] }, { org });
      expect(r.status, url).toBe(400);
      expect(r.body.error?.data?.userMessage).toBe(message);
    }
    const hook = await browser.call<{ id: string; secret: string }>(
      "webhook.create",
      { url: hookUrl, events: ["study.completed"] },
      { org },
    );

    const project = await browser.call<{ id: string }>("project.create", { name: "Hooks" }, { org });
    const study = await browser.call<{ id: string }>("study.create", { projectId: project.id, yaml: STUDY }, { org });
    const trial = await browser.call<{ trialId: string }>("trial.ask", { studyId: study.id }, { org });
    await browser.call("trial.tell", { trialId: trial.trialId, value: 0.25 }, { org });

    await until(
      "the delivery",
      async () => got,
      (g) => g.length === 1,
    );
    const [first] = got;
    expect(first!.headers["x-autoglm-event"]).toBe("study.completed");
    const { t, v1 } = Object.fromEntries(
      String(first!.headers["x-autoglm-signature"])
        .split(",")
        .map((kv) => kv.split("=")),
    );
    expect(v1).toBe(createHmac("sha256", hook.secret).update(`${t}.${first!.body}`).digest("hex"));
    expect(JSON.parse(first!.body)).toMatchObject({
      event: "study.completed",
      data: { study: { id: study.id, name: "hooked", state: "completed", best_value: 0.25, best_trial_id: trial.trialId } },
    });

    type TDelivery = { id: string; status: string; responseCode: number | null; attempts: number };
    const listed = await until(
      "the delivered row",
      () => browser.call<TDelivery[]>("webhook.deliveries", { webhookId: hook.id }, { org, query: true }),
      (d) => d[0]?.status === "delivered",
    );
    expect(listed).toEqual([
      expect.objectContaining({ id: first!.headers["x-autoglm-delivery"], responseCode: 200, attempts: 1 }),
    ]);

    // Redeliver: a new delivery, sent at once (the api nudges the sender), same body.
    const again = await browser.call<{ id: string }>("webhook.redeliver", { deliveryId: listed[0]!.id }, { org });
    await until(
      "the redelivery",
      async () => got,
      (g) => g.length === 2,
    );
    expect(got[1]!.headers["x-autoglm-delivery"]).toBe(again.id);
    expect(got[1]!.body).toBe(first!.body);
    expect(logs.join("\n")).not.toContain(hook.secret);
  });
});

/**
 * The webhook sender against REAL HTTP receivers on 127.0.0.1 (node:http): the signature verifies
 * with README.md's recipe, 500 twice then 200 is delivered on the third attempt, a receiver that
 * never answers times out and is retried, a redirect is never followed, and a target that became
 * refused (here: private targets no longer allowed) is refused at send time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { sealWebhookSecret } from "@autoglm/api";
import { finishSpentStudyById, insertNextTrialById, insertWebhook } from "@autoglm/db/queries";
import { createTestDb, seedStudy, type TestDb } from "@autoglm/db/testing";
import { createLogger } from "@autoglm/logging";
import { startWebhookSender, type WebhookSender, type WebhookSenderOptions } from "../src/webhooks/webhook-sender.js";

const AUTH_SECRET = "webhook-test-auth-secret-0123456789abcdef";
const SECRET = "whsec_receiver-shared-secret-1234";
/** Short waits instead of 10 s / 10 s × 3^n: the same code paths, shrunk through the sender's options. */
const FAST: Partial<WebhookSenderOptions> = { pollIntervalMs: 50, retryBaseMs: 50, retryFactor: 1, timeoutMs: 2_000 };

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A receiver on 127.0.0.1 that answers request n (from 1) with `answer(n, res)`; one that never ends `res` never answers. */
async function receiver(
  answer: (n: number, res: ServerResponse) => unknown,
): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      answer(got.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/autoglm`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** README.md's Node recipe, verbatim in substance: parse t and v1, HMAC "<t>.<raw body>", compare in constant time, 5-minute tolerance. */
function verifySignature(secret: string, rawBody: string, header: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = Object.fromEntries(header.split(",").map((kv) => kv.split("=") as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest("hex");
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === 32 && timingSafeEqual(given, Buffer.from(expected, "hex"));
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let db: TestDb;
let registry: Registry;
let sender: WebhookSender | undefined;
const closers: Array<() => Promise<void>> = [];
const logs: string[] = [];
let n = 0;

beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterEach(async () => {
  await sender?.stop();
  sender = undefined;
  for (const c of closers.splice(0)) await c();
});
afterAll(async () => {
  await db?.drop();
});

function start(options: Partial<WebhookSenderOptions> = {}, allowPrivateTargets = true): WebhookSender {
  registry = new Registry();
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = createLogger({ name: "server", format: "json", level: "info", destination });
  sender = startWebhookSender({
    db,
    authSecret: AUTH_SECRET,
    policy: { allowPrivateTargets, platformUrl: "http://127.0.0.1:1" },
    logger,
    registry,
    options: { ...FAST, ...options },
  });
  return sender;
}

/** A team whose one-trial study is about to complete, with a webhook for study.completed at `url`. */
async function teamWithHook(url: string) {
  const s = await seedStudy(db, `hook-${++n}`, { budget: { max_trials: 1 } });
  await insertNextTrialById(db, s.studyId, { params: {}, expectNumber: null, lease: null });
  const hook = await insertWebhook(db.db, s.scope, {
    url,
    secretCiphertext: sealWebhookSecret(AUTH_SECRET, SECRET),
    events: ["study.completed"],
    createdByUserId: s.userId,
  });
  const complete = async () => {
    await db.query(`UPDATE trials SET state = 'complete' WHERE study_id = $1`, [s.studyId]);
    expect(await finishSpentStudyById(db, s.studyId, null)).toMatchObject({ state: "completed" });
  };
  return { ...s, webhookId: hook.id, complete };
}

async function deliveriesOf(webhookId: string) {
  return db.query<{
    id: string;
    status: string;
    attempts: number;
    last_response_code: number | null;
    last_latency_ms: number | null;
    last_error: string | null;
  }>(
    `SELECT id, status, attempts, last_response_code, last_latency_ms, last_error FROM webhook_deliveries WHERE webhook_id = $1`,
    [webhookId],
  );
}

async function counts(): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric("autoglm_webhook_deliveries_total")!.get();
  return Object.fromEntries(m.values.map((v) => [`${v.labels.event}:${v.labels.outcome}`, v.value]));
}

describe("webhook sender", () => {
  it("POSTs a completed study's event, signed so README's recipe verifies it; the delivery is recorded", async () => {
    const r = await receiver((_n, res) => res.writeHead(204).end());
    closers.push(r.close);
    const t = await teamWithHook(r.url);
    start();
    await t.complete();
    const [got] = await until(
      "the delivery",
      async () => r.got,
      (g) => g.length === 1,
    );
    const [row] = await until(
      "the recorded attempt",
      () => deliveriesOf(t.webhookId),
      (d) => d[0]?.status === "delivered",
    );

    expect(got!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "Open-AutoGLM-Webhooks/1",
      "x-autoglm-event": "study.completed",
      "x-autoglm-delivery": row!.id,
    });
    const header = String(got!.headers["x-autoglm-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, got!.body, header)).toBe(true);
    // The signature covers the exact bytes and the timestamp: a changed byte, another secret or an old t fail.
    expect(verifySignature(SECRET, got!.body.replace("completed", "complete!"), header)).toBe(false);
    expect(verifySignature("whsec_another-secret-0000000000", got!.body, header)).toBe(false);
    expect(verifySignature(SECRET, got!.body, header, Math.floor(Date.now() / 1000) + 301)).toBe(false);
    expect(JSON.parse(got!.body)).toMatchObject({
      event: "study.completed",
      data: { study: { id: t.studyId, state: "completed" } },
    });

    expect(row).toMatchObject({ status: "delivered", attempts: 1, last_response_code: 204, last_error: null });
    expect(row!.last_latency_ms).toBeGreaterThanOrEqual(0);
    expect(await counts()).toEqual({ "study.completed:delivered": 1 });
    expect(logs.join("\n")).not.toContain(SECRET);
  });

  it("a receiver that answers 500 twice then 200 gets the delivery on the third attempt, same id and body each time", async () => {
    const r = await receiver((i, res) => res.writeHead(i <= 2 ? 500 : 200).end(i <= 2 ? "try later" : "ok"));
    closers.push(r.close);
    const t = await teamWithHook(r.url);
    start();
    await t.complete();
    const [row] = await until(
      "delivered",
      () => deliveriesOf(t.webhookId),
      (d) => d[0]?.status === "delivered",
    );
    expect(row).toMatchObject({ attempts: 3, last_response_code: 200, last_error: null });
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.headers["x-autoglm-delivery"]))).toEqual(new Set([row!.id]));
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    for (const g of r.got) expect(verifySignature(SECRET, g.body, String(g.headers["x-autoglm-signature"]))).toBe(true);
    expect(await counts()).toEqual({ "study.completed:retry": 2, "study.completed:delivered": 1 });
  });

  it("a receiver that never answers times out, is retried, and the delivery fails once its time is up", async () => {
    const r = await receiver(() => null);
    closers.push(r.close);
    const t = await teamWithHook(r.url);
    start({ timeoutMs: 300, giveUpAfterMs: 1_500 });
    await t.complete();
    const timedOut = await until(
      "a retried timeout",
      () => deliveriesOf(t.webhookId),
      (d) => (d[0]?.attempts ?? 0) >= 2,
    );
    expect(timedOut[0]).toMatchObject({ last_response_code: null, last_error: "no response within 300 ms" });
    const [row] = await until(
      "given up",
      () => deliveriesOf(t.webhookId),
      (d) => d[0]?.status === "failed",
    );
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
    expect(r.got.length).toBe(row!.attempts);
    expect((await counts())["study.completed:failed"]).toBe(1);
  });

  it("never follows a redirect: a 302 is a failed attempt and the Location is never called", async () => {
    const elsewhere = await receiver((_n, res) => res.writeHead(200).end());
    closers.push(elsewhere.close);
    const r = await receiver((_n, res) => res.writeHead(302, { location: elsewhere.url }).end());
    closers.push(r.close);
    const t = await teamWithHook(r.url);
    start({ retryBaseMs: 60_000 });
    await t.complete();
    const [row] = await until(
      "the attempt",
      () => deliveriesOf(t.webhookId),
      (d) => d[0]?.last_response_code === 302,
    );
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: "the receiver answered HTTP 302" });
    expect(elsewhere.got).toEqual([]);
  });

  it("checks the target again at send time: a loopback receiver is refused when private targets are not allowed", async () => {
    const r = await receiver((_n, res) => res.writeHead(200).end());
    closers.push(r.close);
    const t = await teamWithHook(r.url);
    start({ retryBaseMs: 60_000 }, false);
    await t.complete();
    const [row] = await until(
      "the refused attempt",
      () => deliveriesOf(t.webhookId),
      (d) => (d[0]?.attempts ?? 0) >= 1 && d[0]?.last_error !== null,
    );
    expect(row!.last_error).toMatch(/^target refused: the URL is refused: 127\.0\.0\.1 is a loopback address/);
    expect(row!.status).toBe("pending");
    expect(r.got).toEqual([]);
  });
});

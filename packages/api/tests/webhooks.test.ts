/** Team webhooks through the router: the secret shown once and sealed at rest, refused targets (S9), roles. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServerCaller, openWebhookSecret } from "../src/index.js";
import { makeWorld, ORIGIN, outcome, rowCounts, WEBHOOK_OPTIONS, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const owner = () => w.as(w.A.ownerId, w.A.orgId);

describe("webhook.create", () => {
  it("returns the secret once; lists never show it; the row holds it sealed under AUTH_SECRET", async () => {
    const o = await owner();
    const created = await o.webhook.create({ url: "https://93.184.215.14/autoglm", events: ["study.completed", "study.failed"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    const listed = await o.webhook.list();
    expect(listed.find((h) => h.id === created.id)).toEqual({
      id: created.id,
      url: "https://93.184.215.14/autoglm",
      events: ["study.completed", "study.failed"],
      active: true,
      createdAt: created.createdAt,
      lastDelivery: null,
    });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const [row] = await w.db.query<{ secret_ciphertext: string }>(`select secret_ciphertext from webhooks where id = $1`, [
      created.id,
    ]);
    expect(row!.secret_ciphertext).not.toContain(created.secret);
    expect(openWebhookSecret(WEBHOOK_OPTIONS.authSecret, row!.secret_ciphertext)).toBe(created.secret);
    expect(() => openWebhookSecret("another-auth-secret-0123456789abcdef", row!.secret_ciphertext)).toThrow(/AUTH_SECRET/);
    const audit = await o.audit.list();
    expect(audit.find((a) => a.action === "webhook.create" && a.targetId === created.id)).toBeTruthy();
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it("keeps a secret the admin chose (16+ characters) and refuses a short one", async () => {
    const o = await owner();
    const mine = "my-own-signing-secret-42";
    expect(
      (await o.webhook.create({ url: "https://93.184.215.14/own", events: ["model_alias.moved"], secret: mine })).secret,
    ).toBe(mine);
    const short = await outcome(() =>
      o.webhook.create({ url: "https://93.184.215.14/own", events: ["study.failed"], secret: "short" }),
    );
    expect(short).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      message: expect.stringContaining("must have at least 16 characters"),
    });
  });

  it("refuses link-local, loopback, private, non-http(s) and the platform's own URL, precisely, storing nothing", async () => {
    const o = await owner();
    const refused: Array<[string, string]> = [
      ["http://169.254.169.254/latest/meta-data/", "The webhook URL is refused: 169.254.169.254 is a link-local address."],
      [
        "http://[::1]:8080/hook",
        expect.stringMatching(/^The webhook URL is refused: ::1 is a loopback address \(an operator may allow/),
      ],
      ["http://[::ffff:169.254.169.254]/", "The webhook URL is refused: ::ffff:a9fe:a9fe is a link-local address."],
      ["http://10.1.2.3/hook", expect.stringMatching(/^The webhook URL is refused: 10\.1\.2\.3 is a private address/)],
      [
        "http://localhost:9/hook",
        expect.stringMatching(/^The webhook URL is refused: localhost resolves to (127\.0\.0\.1|::1) is a loopback/),
      ],
      ["http://0.0.0.0:9/", "The webhook URL is refused: 0.0.0.0 is an unspecified address."],
      ["file:///etc/passwd", "The webhook URL must be an http or https URL, not file."],
      ["ftp://93.184.215.14/x", "The webhook URL must be an http or https URL, not ftp."],
      [`${ORIGIN}/api/trpc/org.invite`, "The webhook URL points at this platform itself (app.test)."],
      ["https://user:pw@93.184.215.14/x", expect.stringMatching(/must not carry a user name or password/)],
      ["not a url", "The webhook URL is not a valid URL (expected https://host/path)."],
    ];
    const before = await rowCounts(w.db);
    for (const [url, message] of refused) {
      const r = await outcome(() => o.webhook.create({ url, events: ["study.completed"] }));
      expect(r, url).toMatchObject({ ok: false, code: "BAD_REQUEST", appCode: "WEBHOOK_TARGET_REFUSED", message });
    }
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("with WEBHOOK_ALLOW_PRIVATE_TARGETS, loopback and private receivers are allowed; link-local and the platform never", async () => {
    const options = { allowedOrigins: [ORIGIN], webhooks: { ...WEBHOOK_OPTIONS, allowPrivateTargets: true } };
    const o = await createServerCaller({ ...w.deps, options }, { session: await w.sessionOf(w.A.ownerId), orgId: w.A.orgId });
    expect((await o.webhook.create({ url: "http://127.0.0.1:9/hook", events: ["study.completed"] })).url).toBe(
      "http://127.0.0.1:9/hook",
    );
    expect((await o.webhook.create({ url: "http://10.1.2.3/hook", events: ["study.completed"] })).url).toBe(
      "http://10.1.2.3/hook",
    );
    for (const url of ["http://169.254.169.254/", ORIGIN, "file:///etc/passwd"]) {
      expect((await outcome(() => o.webhook.create({ url, events: ["study.completed"] }))).ok, url).toBe(false);
    }
  });

  it("refuses an empty or repeated event list and unknown events", async () => {
    const o = await owner();
    const url = "https://93.184.215.14/e";
    expect(await outcome(() => o.webhook.create({ url, events: [] }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("choose at least one event"),
    });
    expect(await outcome(() => o.webhook.create({ url, events: ["study.failed", "study.failed"] }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("must not repeat an event"),
    });
    expect((await outcome(() => o.webhook.create({ url, events: ["trial.created" as "study.failed"] }))).ok).toBe(false);
  });
});

describe("roles", () => {
  it("members list webhooks and deliveries; only admins create, delete and redeliver", async () => {
    const member = await w.as(w.memberA.userId, w.A.orgId);
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect((await member.webhook.list()).some((h) => h.id === w.A.webhookId)).toBe(true);
    expect((await member.webhook.deliveries({ webhookId: w.A.webhookId })).map((d) => d.id)).toContain(w.A.webhookDeliveryId);
    for (const call of [
      () => member.webhook.create({ url: "https://93.184.215.14/m", events: ["study.completed"] }),
      () => member.webhook.delete({ id: w.A.webhookId }),
      () => member.webhook.redeliver({ deliveryId: w.A.webhookDeliveryId }),
      () => viewer.webhook.list(),
    ]) {
      expect(await outcome(call)).toMatchObject({ ok: false, code: "FORBIDDEN", appCode: "ROLE_TOO_LOW" });
    }
  });

  it("redeliver queues a new pending delivery with the same event; delete removes the webhook and its deliveries", async () => {
    const o = await owner();
    const { id } = await o.webhook.redeliver({ deliveryId: w.A.webhookDeliveryId });
    const deliveries = await o.webhook.deliveries({ webhookId: w.A.webhookId });
    expect(deliveries[0]).toMatchObject({ id, event: "study.completed", status: "pending", attempts: 0, responseCode: null });
    expect(deliveries.map((d) => d.id)).toContain(w.A.webhookDeliveryId);
    const hook = await o.webhook.create({ url: "https://93.184.215.14/gone", events: ["study.completed"] });
    await o.webhook.delete({ id: hook.id });
    expect((await o.webhook.list()).some((h) => h.id === hook.id)).toBe(false);
    expect(await outcome(() => o.webhook.deliveries({ webhookId: hook.id }))).toMatchObject({
      code: "NOT_FOUND",
      message: "Webhook not found.",
    });
  });
});

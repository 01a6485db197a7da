/** Webhook rows: study events queued with the state change, claims that never overlap, retries and give-up. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, seedStudy, type TestDb } from "../testing.js";
import {
  claimDueWebhookDeliveries,
  deleteWebhook,
  finishSpentStudies,
  finishSpentStudyById,
  insertNextTrialById,
  insertWebhook,
  listWebhookDeliveries,
  listWebhooks,
  recordWebhookAttempt,
  redeliverWebhookDelivery,
  type TWebhookEvent,
} from "./index.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** A team with a study of `maxTrials` trials handed out, and one webhook per events list. */
async function team(tag: string, hooks: TWebhookEvent[][], budget: Record<string, unknown> = { max_trials: 1 }) {
  const seeded = await seedStudy(db, tag, { budget });
  const trialIds: string[] = [];
  for (;;) {
    const t = await insertNextTrialById(db, seeded.studyId, { params: {}, expectNumber: null, lease: null });
    if (!t) break;
    trialIds.push(t.trialId);
  }
  const webhookIds: string[] = [];
  for (const events of hooks) {
    const w = await insertWebhook(db.db, seeded.scope, {
      url: `https://hooks.example.com/${tag}`,
      secretCiphertext: "sealed",
      events,
      createdByUserId: seeded.userId,
    });
    webhookIds.push(w.id);
  }
  const setTrials = (state: string) => db.query(`UPDATE trials SET state = $2 WHERE study_id = $1`, [seeded.studyId, state]);
  return { ...seeded, webhookIds, setTrials };
}

async function deliveriesOf(webhookId: string) {
  return db.query<{ id: string; event: string; body: string; status: string; attempts: number }>(
    `SELECT id, event, body, status, attempts FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at`,
    [webhookId],
  );
}

describe("study events", () => {
  it("a study that completes queues study.completed for the webhooks that want it, once, and nothing for others", async () => {
    const t = await team("wh-complete", [["study.completed"], ["study.failed"], ["model_version.created"]]);
    const other = await team("wh-bystander", [["study.completed"]], { max_trials: 5 });
    await t.setTrials("complete");
    const at = new Date("2031-02-03T04:05:06Z");
    await Promise.all([finishSpentStudyById(db, t.studyId, at), finishSpentStudyById(db, t.studyId, at)]);
    await finishSpentStudies(db);

    const [wants, failedOnly, modelsOnly] = await Promise.all(t.webhookIds.map(deliveriesOf));
    expect(wants).toHaveLength(1);
    expect(failedOnly).toEqual([]);
    expect(modelsOnly).toEqual([]);
    expect(await deliveriesOf(other.webhookIds[0]!)).toEqual([]);
    expect(wants![0]).toMatchObject({ event: "study.completed", status: "pending", attempts: 0 });
    const body = JSON.parse(wants![0]!.body);
    expect(body).toMatchObject({
      event: "study.completed",
      data: {
        study: { id: t.studyId, name: "s", project_id: t.projectId, state: "completed", stopped_at: at.toISOString(), trials: 1 },
        reason: "budget.max_trials reached",
      },
    });
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("a study that fails on budget.max_failures queues study.failed (the run loop's pass)", async () => {
    const t = await team("wh-fail", [["study.completed", "study.failed"]], { max_trials: 3, max_failures: 1 });
    await db.query(`UPDATE trials SET state = 'failed' WHERE id = (SELECT id FROM trials WHERE study_id = $1 LIMIT 1)`, [
      t.studyId,
    ]);
    await finishSpentStudies(db);
    const rows = await deliveriesOf(t.webhookIds[0]!);
    expect(rows.map((r) => r.event)).toEqual(["study.failed"]);
    expect(JSON.parse(rows[0]!.body).data.reason).toBe("budget.max_failures (1) reached");
  });

  it("a study that does not change state queues nothing", async () => {
    const t = await team("wh-still", [["study.completed", "study.failed"]], { max_trials: 2 });
    expect(await finishSpentStudyById(db, t.studyId, null)).toBeNull();
    expect(await deliveriesOf(t.webhookIds[0]!)).toEqual([]);
  });
});

describe("the sender's statements", () => {
  it("claims a due delivery once until its claim runs out, and records retries, delivery and giving up", async () => {
    const t = await team("wh-claim", [["study.completed"]]);
    await t.setTrials("complete");
    await finishSpentStudyById(db, t.studyId, null);
    const [first, again] = await Promise.all([
      claimDueWebhookDeliveries(db, { limit: 10, claimMs: 60_000 }),
      claimDueWebhookDeliveries(db, { limit: 10, claimMs: 60_000 }),
    ]);
    const mine = [...first, ...again].filter((d) => d.webhookId === t.webhookIds[0]);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ attempt: 1, event: "study.completed", url: "https://hooks.example.com/wh-claim" });
    const id = mine[0]!.id;

    const retry = {
      deliveryId: id,
      isDelivered: false,
      responseCode: 500,
      latencyMs: 12.4,
      error: "HTTP 500",
      giveUpAfterMs: 60_000,
    };
    expect(await recordWebhookAttempt(db, { ...retry, retryInMs: 0 })).toBe("pending");
    expect((await claimDueWebhookDeliveries(db, { limit: 10, claimMs: 60_000 })).find((d) => d.id === id)?.attempt).toBe(2);
    // Not due yet: a retry in 30 s is not claimed now.
    expect(await recordWebhookAttempt(db, { ...retry, retryInMs: 30_000 })).toBe("pending");
    expect((await claimDueWebhookDeliveries(db, { limit: 10, claimMs: 60_000 })).find((d) => d.id === id)).toBeUndefined();
    // A retry that would land past the give-up age fails the delivery for good.
    expect(await recordWebhookAttempt(db, { ...retry, retryInMs: 120_000 })).toBe("failed");
    const [row] = await db.query<Record<string, unknown>>(`SELECT * FROM webhook_deliveries WHERE id = $1`, [id]);
    expect(row).toMatchObject({
      status: "failed",
      attempts: 2,
      last_response_code: 500,
      last_latency_ms: 12,
      last_error: "HTTP 500",
    });

    // Redelivery is a new pending delivery with the same body; the failed one keeps its history.
    const re = await redeliverWebhookDelivery(db.db, t.scope, id);
    expect(re?.webhookId).toBe(t.webhookIds[0]);
    const claimed = (await claimDueWebhookDeliveries(db, { limit: 10, claimMs: 60_000 })).find((d) => d.id === re!.id);
    expect(claimed?.body).toBe(row!.body);
    expect(
      await recordWebhookAttempt(db, {
        ...retry,
        deliveryId: re!.id,
        isDelivered: true,
        responseCode: 204,
        error: null,
        retryInMs: 0,
      }),
    ).toBe("delivered");
    const listed = await listWebhookDeliveries(db.db, t.scope, { webhookId: t.webhookIds[0]!, limit: 50 });
    expect(listed?.map((d) => d.status)).toEqual(["delivered", "failed"]);
  });
});

describe("scoping", () => {
  it("another team's webhook and delivery look missing: list, deliveries, redeliver, delete", async () => {
    const a = await team("wh-scope-a", [["study.completed"]]);
    const b = await team("wh-scope-b", []);
    await a.setTrials("complete");
    await finishSpentStudyById(db, a.studyId, null);
    const [delivery] = await deliveriesOf(a.webhookIds[0]!);
    expect(await listWebhooks(db.db, b.scope)).toEqual([]);
    expect(await listWebhookDeliveries(db.db, b.scope, { webhookId: a.webhookIds[0]!, limit: 50 })).toBeNull();
    expect(await redeliverWebhookDelivery(db.db, b.scope, delivery!.id)).toBeNull();
    expect(await deleteWebhook(db.db, b.scope, a.webhookIds[0]!)).toBe(false);
    const listed = await listWebhooks(db.db, a.scope);
    expect(listed).toEqual([expect.objectContaining({ id: a.webhookIds[0], lastDeliveryStatus: "pending" })]);
    expect(await deleteWebhook(db.db, a.scope, a.webhookIds[0]!)).toBe(true);
    expect(await deliveriesOf(a.webhookIds[0]!)).toEqual([]);
  });
});

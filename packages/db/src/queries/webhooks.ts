import { and, desc, eq, getTableColumns, sql } from "drizzle-orm";
import { webhookDeliveries, webhooks } from "../schema.js";
import type { DbOrTx, TenantScope } from "./scope.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import type { TWebhookEvent } from "./webhook-outbox.js";

export type TWebhookRow = typeof webhooks.$inferSelect;

/** A webhook as a team's admins see it: never its secret. */
export interface TWebhookSummary {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
  lastDeliveryStatus: string | null;
  lastDeliveryAt: Date | null;
}

export async function insertWebhook(
  db: DbOrTx,
  scope: TenantScope,
  input: { url: string; secretCiphertext: string; events: TWebhookEvent[]; createdByUserId: string | null },
): Promise<TWebhookRow> {
  const [row] = await db
    .insert(webhooks)
    .values({ orgId: scope.orgId, ...input })
    .returning();
  if (!row) throw new Error("webhook insert returned nothing");
  return row;
}

/** The team's webhooks, newest first, each with its latest delivery's status. */
export async function listWebhooks(db: DbOrTx, scope: TenantScope): Promise<TWebhookSummary[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "list_webhooks",
    sql`
SELECT w.id, w.url, w.events, w.active, w.created_at, last.status AS last_status, last.created_at AS last_at
FROM webhooks w
LEFT JOIN LATERAL (
  SELECT d.status, d.created_at FROM webhook_deliveries d
  WHERE d.webhook_id = w.id ORDER BY d.created_at DESC LIMIT 1
) last ON true
WHERE w.org_id = ${scope.orgId}::uuid
ORDER BY w.created_at DESC`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    url: String(r.url),
    events: r.events as string[],
    active: Boolean(r.active),
    createdAt: new Date(r.created_at as string),
    lastDeliveryStatus: r.last_status === null || r.last_status === undefined ? null : String(r.last_status),
    lastDeliveryAt: r.last_at ? new Date(r.last_at as string) : null,
  }));
}

/** Deletes a webhook and (cascade) its deliveries; false when the team has no such webhook. */
export async function deleteWebhook(db: DbOrTx, scope: TenantScope, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhooks)
    .where(and(eq(webhooks.orgId, scope.orgId), eq(webhooks.id, id)))
    .returning({ id: webhooks.id });
  return rows.length > 0;
}

export async function findWebhook(db: DbOrTx, scope: TenantScope, id: string): Promise<TWebhookRow | null> {
  const rows = await db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.orgId, scope.orgId), eq(webhooks.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

export type TWebhookDeliveryRow = Omit<typeof webhookDeliveries.$inferSelect, "body" | "claimedUntil">;

/** A webhook's latest deliveries, newest first, at most `limit`; null when the team has no such webhook. */
export async function listWebhookDeliveries(
  db: DbOrTx,
  scope: TenantScope,
  input: { webhookId: string; limit: number },
): Promise<TWebhookDeliveryRow[] | null> {
  if (!(await findWebhook(db, scope, input.webhookId))) return null;
  const { body: _body, claimedUntil: _claimed, ...columns } = getTableColumns(webhookDeliveries);
  return db
    .select(columns)
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.orgId, scope.orgId), eq(webhookDeliveries.webhookId, input.webhookId)))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(input.limit);
}

/**
 * Sends a delivery again as a NEW pending delivery with the same event and body (the old row
 * keeps its history; the receiver sees a new delivery id). Null when the team has no such delivery.
 */
export async function redeliverWebhookDelivery(
  db: DbOrTx,
  scope: TenantScope,
  deliveryId: string,
): Promise<{ id: string; webhookId: string } | null> {
  const rows = await runStatement<{ id: string; webhook_id: string }>(
    db,
    "redeliver_webhook_delivery",
    sql`
INSERT INTO webhook_deliveries (org_id, webhook_id, event, body)
SELECT d.org_id, d.webhook_id, d.event, d.body FROM webhook_deliveries d
WHERE d.org_id = ${scope.orgId}::uuid AND d.id = ${deliveryId}::uuid
RETURNING id, webhook_id`,
  );
  return rows[0] ? { id: String(rows[0].id), webhookId: String(rows[0].webhook_id) } : null;
}

/** A delivery a sender holds: what to POST where, with the sealed secret to sign it. */
export interface TClaimedDelivery {
  id: string;
  orgId: string;
  webhookId: string;
  event: string;
  body: string;
  /** This attempt's number (1 for the first). */
  attempt: number;
  url: string;
  secretCiphertext: string;
}

/**
 * Unscoped: the sender's pass over every team. Claims up to `limit` due deliveries for
 * `claimMs` (one statement: `FOR UPDATE SKIP LOCKED`, then `claimed_until`), so two server
 * replicas never send one delivery at once; a sender that dies mid-send frees it when the
 * claim runs out. The attempt is counted at the claim.
 */
export async function claimDueWebhookDeliveries(
  db: SqlDb,
  input: { limit: number; claimMs: number },
): Promise<TClaimedDelivery[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "claim_webhook_deliveries",
    sql`
WITH due AS (
  SELECT d.id FROM webhook_deliveries d
  WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.claimed_until IS NULL OR d.claimed_until < now())
  ORDER BY d.next_attempt_at
  LIMIT ${input.limit}::int
  FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET claimed_until = now() + make_interval(secs => ${input.claimMs / 1000}::float8), attempts = d.attempts + 1
FROM due, webhooks w
WHERE d.id = due.id AND w.id = d.webhook_id
RETURNING d.id, d.org_id, d.webhook_id, d.event, d.body, d.attempts, w.url, w.secret_ciphertext`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    orgId: String(r.org_id),
    webhookId: String(r.webhook_id),
    event: String(r.event),
    body: String(r.body),
    attempt: numberOf(r.attempts),
    url: String(r.url),
    secretCiphertext: String(r.secret_ciphertext),
  }));
}

export interface TWebhookAttemptResult {
  deliveryId: string;
  isDelivered: boolean;
  responseCode: number | null;
  latencyMs: number | null;
  /** What went wrong, for the team to read (never a secret); null when delivered. */
  error: string | null;
  /** On failure: when to try again (ms from now). */
  retryInMs: number;
  /** On failure: give up once the next try would fall this long after the delivery was queued. */
  giveUpAfterMs: number;
}

/**
 * Unscoped: keyed by a delivery the caller claimed. Records one attempt: delivered, pending
 * again at now + `retryInMs`, or `failed` when that would pass `giveUpAfterMs` after creation.
 * Returns the delivery's new status.
 */
export async function recordWebhookAttempt(
  db: SqlDb,
  r: TWebhookAttemptResult,
): Promise<"delivered" | "pending" | "failed" | null> {
  const rows = await runStatement<{ status: string }>(
    db,
    "record_webhook_attempt",
    sql`
UPDATE webhook_deliveries SET
  status = CASE
    WHEN ${r.isDelivered}::boolean THEN 'delivered'
    WHEN now() + make_interval(secs => ${r.retryInMs / 1000}::float8)
         > created_at + make_interval(secs => ${r.giveUpAfterMs / 1000}::float8) THEN 'failed'
    ELSE 'pending' END,
  next_attempt_at = now() + make_interval(secs => ${r.retryInMs / 1000}::float8),
  claimed_until = NULL,
  last_response_code = ${r.responseCode}::int,
  last_latency_ms = ${r.latencyMs === null ? null : Math.round(r.latencyMs)}::int,
  last_error = ${r.error}::text,
  delivered_at = CASE WHEN ${r.isDelivered}::boolean THEN now() END
WHERE id = ${r.deliveryId}::uuid
RETURNING status`,
  );
  return (rows[0]?.status as "delivered" | "pending" | "failed" | undefined) ?? null;
}

import { sql } from "drizzle-orm";
import type { DbOrTx } from "./scope.js";

/** The events a team's webhook may subscribe to. */
export const WEBHOOK_EVENTS = ["model_version.created", "model_alias.moved", "study.completed", "study.failed"] as const;
export type TWebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * Unscoped: the event names its own team. Queues one delivery per active webhook of the team
 * that wants `event`, in the caller's transaction (an outbox: the event is sent if and only if
 * the change that caused it commits). The body is fixed here, once, because the signature
 * covers its exact bytes on every retry.
 */
export async function enqueueWebhookEvent(
  db: DbOrTx,
  input: { orgId: string; event: TWebhookEvent; data: Record<string, unknown> },
): Promise<void> {
  const body = JSON.stringify({ event: input.event, created_at: new Date().toISOString(), data: input.data });
  await db.execute(sql`
INSERT INTO webhook_deliveries (org_id, webhook_id, event, body)
SELECT w.org_id, w.id, ${input.event}, ${body}
FROM webhooks w
WHERE w.org_id = ${input.orgId}::uuid AND w.active AND ${input.event} = ANY (w.events)`);
}

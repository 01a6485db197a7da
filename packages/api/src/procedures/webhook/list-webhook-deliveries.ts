import { z } from "zod";
import { listWebhookDeliveries as listDeliveryRows } from "@autoglm/db/queries";
import { notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { iso, zId } from "../shared.js";

export const ZListWebhookDeliveriesInput = z
  .object({ webhookId: zId, limit: z.number().int().min(1).max(100).default(50) })
  .strict();
export const ZListWebhookDeliveriesOutput = z.array(
  z.object({
    id: z.string(),
    event: z.string(),
    /** pending (queued or retrying), delivered, or failed (gave up after a day). */
    status: z.string(),
    attempts: z.number().int(),
    responseCode: z.number().int().nullable(),
    latencyMs: z.number().int().nullable(),
    error: z.string().nullable(),
    createdAt: z.string(),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  }),
);

/** A webhook's latest deliveries (at most 100), newest first. */
export const listWebhookDeliveries = orgProcedure("member", { tokens: "none" })
  .input(ZListWebhookDeliveriesInput)
  .output(ZListWebhookDeliveriesOutput)
  .query(async ({ ctx, input }) => {
    const rows = await listDeliveryRows(ctx.db.db, ctx.scope, { webhookId: input.webhookId, limit: input.limit });
    if (!rows) throw notFound("Webhook");
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      status: r.status,
      attempts: r.attempts,
      responseCode: r.lastResponseCode,
      latencyMs: r.lastLatencyMs,
      error: r.lastError,
      createdAt: iso(r.createdAt),
      nextAttemptAt: r.status === "pending" ? iso(r.nextAttemptAt) : null,
      deliveredAt: iso(r.deliveredAt),
    }));
  });

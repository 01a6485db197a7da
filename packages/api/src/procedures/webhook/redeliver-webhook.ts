import { z } from "zod";
import { redeliverWebhookDelivery, withTransaction, writeAudit } from "@autoglm/db/queries";
import { notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zId } from "../shared.js";

export const ZRedeliverWebhookInput = z.object({ deliveryId: zId }).strict();
export const ZRedeliverWebhookOutput = z.object({ id: z.string() });

/** Admins send a delivery again: a new delivery (new id, fresh day of retries) with the same event and body. */
export const redeliverWebhook = orgProcedure("admin", { tokens: "none" })
  .input(ZRedeliverWebhookInput)
  .output(ZRedeliverWebhookOutput)
  .mutation(async ({ ctx, input }) => {
    const created = await withTransaction(ctx.db.db, async (tx) => {
      const r = await redeliverWebhookDelivery(tx, ctx.scope, input.deliveryId);
      if (!r) throw notFound("Webhook delivery");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "webhook.redeliver",
        targetType: "webhook",
        targetId: r.webhookId,
        details: { deliveryId: input.deliveryId, newDeliveryId: r.id },
      });
      return r;
    });
    ctx.options.webhooks?.onQueued?.();
    return { id: created.id };
  });

import { z } from "zod";
import { deleteWebhook as deleteWebhookRow, withTransaction, writeAudit } from "@autoglm/db/queries";
import { notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zId, zOk } from "../shared.js";

export const ZDeleteWebhookInput = z.object({ id: zId }).strict();

/** Admins delete a webhook; its pending deliveries go with it. */
export const deleteWebhook = orgProcedure("admin", { tokens: "none" })
  .input(ZDeleteWebhookInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      if (!(await deleteWebhookRow(tx, ctx.scope, input.id))) throw notFound("Webhook");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "webhook.delete",
        targetType: "webhook",
        targetId: input.id,
      });
    });
    return { ok: true as const };
  });

import { z } from "zod";
import { insertWebhook, WEBHOOK_EVENTS, withTransaction, writeAudit } from "@autoglm/db/queries";
import { AppError } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { checkWebhookUrl, resolveWebhookTarget, WebhookTargetRefused } from "../../webhooks/webhook-target.js";
import { generateWebhookSecret, sealWebhookSecret } from "../../webhooks/webhook-secret.js";
import { iso, zText } from "../shared.js";
import { webhookOptionsOf } from "./webhook-options.js";

export const ZWebhookEvents = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1, "choose at least one event")
  .max(WEBHOOK_EVENTS.length)
  .refine((e) => new Set(e).size === e.length, "must not repeat an event");

export const ZCreateWebhookInput = z
  .object({
    url: zText(2000, 1),
    events: ZWebhookEvents,
    /** Your own signing secret; omitted: the server generates one. Shown once either way. */
    secret: zText(200, 16).optional(),
  })
  .strict();
export const ZCreateWebhookOutput = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  /** The signing secret: the only time it is returned. */
  secret: z.string(),
  createdAt: z.string(),
});

/** Admins add a webhook. The URL is checked now (scheme, host, every address it resolves to) and again at each send. */
export const createWebhook = orgProcedure("admin", { tokens: "none" })
  .input(ZCreateWebhookInput)
  .output(ZCreateWebhookOutput)
  .mutation(async ({ ctx, input }) => {
    const options = webhookOptionsOf(ctx.options);
    try {
      await resolveWebhookTarget(checkWebhookUrl(input.url, options), options);
    } catch (err) {
      if (!(err instanceof WebhookTargetRefused)) throw err;
      throw new AppError("WEBHOOK_TARGET_REFUSED", { userMessage: `The webhook URL ${err.message}.` });
    }
    const secret = input.secret ?? generateWebhookSecret();
    const events = [...new Set(input.events)];
    const row = await withTransaction(ctx.db.db, async (tx) => {
      const r = await insertWebhook(tx, ctx.scope, {
        url: input.url,
        secretCiphertext: sealWebhookSecret(options.authSecret, secret),
        events,
        createdByUserId: ctx.actor.userId,
      });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "webhook.create",
        targetType: "webhook",
        targetId: r.id,
        details: { url: input.url, events },
      });
      return r;
    });
    return { id: row.id, url: row.url, events: row.events, secret, createdAt: iso(row.createdAt) };
  });

import { z } from "zod";
import { listWebhooks as listWebhookRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";

export const ZListWebhooksOutput = z.array(
  z.object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    createdAt: z.string(),
    lastDelivery: z.object({ status: z.string(), at: z.string() }).nullable(),
  }),
);

/** Members see where the team's events go (never a secret); only admins change it. */
export const listWebhooks = orgProcedure("member", { tokens: "none" })
  .output(ZListWebhooksOutput)
  .query(async ({ ctx }) => {
    const rows = await listWebhookRows(ctx.db.db, ctx.scope);
    return rows.map((r) => ({
      id: r.id,
      url: r.url,
      events: r.events,
      active: r.active,
      createdAt: iso(r.createdAt),
      lastDelivery: r.lastDeliveryStatus && r.lastDeliveryAt ? { status: r.lastDeliveryStatus, at: iso(r.lastDeliveryAt) } : null,
    }));
  });

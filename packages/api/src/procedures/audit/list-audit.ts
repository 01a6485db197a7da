import { z } from "zod";
import { listAudit as listAuditRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";

export const ZListAuditInput = z
  .object({ limit: z.number().int().min(1).max(500).default(100) })
  .strict()
  .optional();
export const ZListAuditOutput = z.array(
  z.object({
    id: z.number().int(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    actor: z.object({ userId: z.string().nullable(), tokenId: z.string().nullable(), email: z.string().nullable() }),
    details: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  }),
);

export const listAudit = orgProcedure("admin", { tokens: "none" })
  .input(ZListAuditInput)
  .output(ZListAuditOutput)
  .query(async ({ ctx, input }) => {
    const rows = await listAuditRows(ctx.db.db, ctx.scope, { limit: input?.limit ?? 100 });
    return rows.map((r) => ({
      id: Number(r.id),
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      actor: { userId: r.actorUserId, tokenId: r.actorTokenId, email: r.actorEmail },
      details: (r.details ?? {}) as Record<string, unknown>,
      createdAt: iso(r.createdAt),
    }));
  });

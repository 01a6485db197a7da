import { randomBytes } from "node:crypto";
import { z } from "zod";
import { insertInvitation, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { sha256Hex } from "@autoglm/protocol/api-token";
import { iso, zRole } from "../shared.js";

export const ZInviteInput = z
  .object({ role: zRole, email: z.string().trim().toLowerCase().max(320).email("must be an email address").optional() })
  .strict();
export const ZInviteOutput = z.object({ id: z.string(), url: z.string(), expiresAt: z.string() });

/** The secret (256 bits) is in the link only; the database keeps its sha256. */
export const createInvite = orgProcedure("admin", { tokens: "none" })
  .input(ZInviteInput)
  .output(ZInviteOutput)
  .mutation(async ({ ctx, input }) => {
    if (input.role === "owner" && ctx.org.role !== "owner") {
      throw new AppError("ROLE_TOO_LOW", { userMessage: "Only an owner can invite another owner." });
    }
    const secret = randomBytes(32).toString("base64url");
    const expiresAt = new Date(ctx.options.clock.now().getTime() + ctx.options.inviteTtlMs);
    const row = await withTransaction(ctx.db.db, async (tx) => {
      const inv = await insertInvitation(tx, ctx.scope, {
        tokenHash: sha256Hex(secret),
        role: input.role,
        email: input.email ?? null,
        createdBy: ctx.actor.userId,
        expiresAt,
      });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "invitation.create",
        targetType: "invitation",
        targetId: inv.id,
        details: { role: input.role, email: input.email ?? null },
      });
      return inv;
    });
    return { id: row.id, url: `/invite/${secret}`, expiresAt: iso(expiresAt) };
  });

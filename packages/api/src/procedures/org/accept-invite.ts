import { z } from "zod";
import { markInvitationAccepted, upsertMembership, withTransaction, writeAudit } from "@autoglm/db/queries";
import { protectedProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { findUsableInvitation } from "./invite-lookup.js";
import { ZInviteInfoInput } from "./get-invite-info.js";

export const ZAcceptInviteOutput = z.object({ orgId: z.string() });

export const acceptInvite = protectedProcedure({ tokens: "none" })
  .input(ZInviteInfoInput)
  .output(ZAcceptInviteOutput)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const now = ctx.options.clock.now();
      const { inv } = await findUsableInvitation(tx, input.secret, now);
      if (inv.email && inv.email.toLowerCase() !== ctx.principal.user.email.toLowerCase()) {
        throw new AppError("FORBIDDEN", { userMessage: "This invitation is for another email address." });
      }
      if (!(await markInvitationAccepted(tx, { orgId: inv.orgId }, { id: inv.id, userId: ctx.principal.user.id, at: now }))) {
        throw new AppError("INVITE_UNUSABLE", { userMessage: "This invitation was just used or revoked." });
      }
      await upsertMembership(tx, { orgId: inv.orgId }, { userId: ctx.principal.user.id, role: inv.role });
      await writeAudit(tx, {
        orgId: inv.orgId,
        actor: ctx.actor,
        action: "membership.create",
        targetType: "membership",
        targetId: ctx.principal.user.id,
        details: { role: inv.role, invitationId: inv.id },
      });
      return { orgId: inv.orgId };
    }),
  );

import { z } from "zod";
import { lockMemberships, updateMemberRole, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { orgProcedure } from "../../trpc.js";
import { zId, zOk, zRole } from "../shared.js";
import { checkMemberChange } from "./member-rules.js";

export const ZUpdateMemberInput = z.object({ userId: zId, role: zRole }).strict();

export const updateMember = orgProcedure("admin", { tokens: "none" })
  .input(ZUpdateMemberInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const before = await withTransaction(ctx.db.db, async (tx) => {
      await lockMemberships(tx, ctx.scope);
      const before = await checkMemberChange(tx, {
        orgId: ctx.scope.orgId,
        actorRole: ctx.org.role,
        targetUserId: input.userId,
        newRole: input.role,
      });
      await updateMemberRole(tx, ctx.scope, { userId: input.userId, role: input.role });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "membership.update",
        targetType: "membership",
        targetId: input.userId,
        details: { from: before, to: input.role },
      });
      return before;
    });
    // S13: a viewer runs no agents; its dashboard may still watch the team, so only agents close.
    if (input.role === "viewer" && before !== "viewer") {
      ctx.events.publish(accessRevoked.memberDemoted(ctx.scope.orgId, input.userId));
    }
    return { ok: true as const };
  });

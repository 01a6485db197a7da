import { z } from "zod";
import { deleteMember, lockMemberships, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { orgProcedure } from "../../trpc.js";
import { zId, zOk } from "../shared.js";
import { checkMemberChange } from "./member-rules.js";

export const ZRemoveMemberInput = z.object({ userId: zId }).strict();

export const removeMember = orgProcedure("admin", { tokens: "none" })
  .input(ZRemoveMemberInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      await lockMemberships(tx, ctx.scope);
      const before = await checkMemberChange(tx, {
        orgId: ctx.scope.orgId,
        actorRole: ctx.org.role,
        targetUserId: input.userId,
        newRole: null,
      });
      await deleteMember(tx, ctx.scope, { userId: input.userId });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "membership.delete",
        targetType: "membership",
        targetId: input.userId,
        details: { role: before },
      });
    });
    // S13: the member's agents and live sockets in this team close now, on every replica.
    ctx.events.publish(accessRevoked.memberRemoved(ctx.scope.orgId, input.userId));
    return { ok: true as const };
  });

import { z } from "zod";
import { disableUser, findUserById, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { protectedProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { ssoAccount } from "../../auth/credentials.js";
import { verifyPassword } from "../../auth/password.js";
import { zOk } from "../shared.js";

export const ZDeactivateInput = z.object({ password: z.string().min(1, "is required").max(1000) }).strict();

/** Sets disabled_at: the user's sessions and API tokens stop working, and their live agents and sockets close (S13). */
export const deactivateAccount = protectedProcedure({ tokens: "none" })
  .input(ZDeactivateInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const user = await findUserById(ctx.db.db, ctx.principal.user.id);
    if (user?.passwordHash === null) throw ssoAccount();
    if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.password))) {
      throw new AppError("INVALID_CREDENTIALS", { userMessage: "Your password is wrong." });
    }
    await withTransaction(ctx.db.db, async (tx) => {
      await disableUser(tx, user.id, ctx.options.clock.now());
      await writeAudit(tx, { orgId: null, actor: ctx.actor, action: "user.deactivate", targetType: "user", targetId: user.id });
    });
    ctx.events.publish(accessRevoked.accountDeactivated(user.id));
    return { ok: true as const };
  });

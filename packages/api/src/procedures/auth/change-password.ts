import { z } from "zod";
import { findUserById, setUserPassword, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { protectedProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { ssoAccount } from "../../auth/credentials.js";
import { hashPassword, verifyPassword } from "../../auth/password.js";

export const ZChangePasswordInput = z
  .object({
    currentPassword: z.string().min(1, "is required").max(1000),
    newPassword: z.string().min(10, "must have at least 10 characters").max(1000),
  })
  .strict();
/** `sessionVersion` lets the dashboard re-issue ITS session; every other session has ended. */
export const ZChangePasswordOutput = z.object({ ok: z.literal(true), sessionVersion: z.number().int() });

export const changePassword = protectedProcedure({ tokens: "none" })
  .input(ZChangePasswordInput)
  .output(ZChangePasswordOutput)
  .mutation(async ({ ctx, input }) => {
    const user = await findUserById(ctx.db.db, ctx.principal.user.id);
    if (user?.passwordHash === null) throw ssoAccount();
    if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw new AppError("INVALID_CREDENTIALS", { userMessage: "Your current password is wrong." });
    }
    const hash = await hashPassword(input.newPassword);
    await withTransaction(ctx.db.db, async (tx) => {
      await setUserPassword(tx, user.id, hash);
      await writeAudit(tx, {
        orgId: null,
        actor: ctx.actor,
        action: "user.password_change",
        targetType: "user",
        targetId: user.id,
      });
    });
    ctx.events.publish(accessRevoked.sessionsEnded(user.id, "password.changed"));
    return { ok: true as const, sessionVersion: user.sessionVersion + 1 };
  });

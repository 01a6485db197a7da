import { z } from "zod";
import { insertOrgWithOwner, withTransaction, writeAudit } from "@autoglm/db/queries";
import { protectedProcedure } from "../../trpc.js";
import { zText } from "../shared.js";
import { uniqueOrgSlug } from "../auth/sign-up.js";

export const ZCreateOrgInput = z.object({ name: zText(100, 1) }).strict();
export const ZCreateOrgOutput = z.object({ id: z.string(), slug: z.string() });

export const createOrg = protectedProcedure({ tokens: "none" })
  .input(ZCreateOrgInput)
  .output(ZCreateOrgOutput)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const org = await insertOrgWithOwner(tx, {
        name: input.name,
        slug: await uniqueOrgSlug(tx, input.name),
        ownerId: ctx.principal.user.id,
      });
      await writeAudit(tx, {
        orgId: org.id,
        actor: ctx.actor,
        action: "membership.create",
        targetType: "membership",
        targetId: ctx.principal.user.id,
        details: { role: "owner", via: "org.create" },
      });
      return org;
    }),
  );

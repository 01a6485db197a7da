import { z } from "zod";
import { publicProcedure } from "../../trpc.js";
import { iso, zRole } from "../shared.js";
import { findUsableInvitation } from "./invite-lookup.js";

export const ZInviteInfoInput = z.object({ secret: z.string().min(1, "is required").max(200) }).strict();
export const ZInviteInfoOutput = z.object({ orgName: z.string(), role: zRole, expiresAt: z.string() });

export const getInviteInfo = publicProcedure
  .input(ZInviteInfoInput)
  .output(ZInviteInfoOutput)
  .query(async ({ ctx, input }) => {
    const { inv, orgName } = await findUsableInvitation(ctx.db.db, input.secret, ctx.options.clock.now());
    return { orgName, role: inv.role, expiresAt: iso(inv.expiresAt) };
  });

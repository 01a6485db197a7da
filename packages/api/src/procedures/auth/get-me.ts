import { z } from "zod";
import { listOrgsOfUser } from "@autoglm/db/queries";
import { protectedProcedure } from "../../trpc.js";
import { zRole } from "../shared.js";

export const ZMeOutput = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  orgs: z.array(z.object({ id: z.string(), name: z.string(), slug: z.string(), role: zRole })),
});

/** Who am I. A token sees only its own team. */
export const getMe = protectedProcedure({ tokens: "read" })
  .input(z.void())
  .output(ZMeOutput)
  .query(async ({ ctx }) => {
    const p = ctx.principal;
    let orgs = await listOrgsOfUser(ctx.db.db, p.user.id);
    if (p.kind === "token") orgs = orgs.filter((o) => o.id === p.token.orgId);
    return { user: { id: p.user.id, email: p.user.email, name: p.user.name }, orgs };
  });

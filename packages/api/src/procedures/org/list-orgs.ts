import { z } from "zod";
import { listOrgsOfUser } from "@autoglm/db/queries";
import { protectedProcedure } from "../../trpc.js";
import { zRole } from "../shared.js";

export const ZOrgListOutput = z.array(z.object({ id: z.string(), name: z.string(), slug: z.string(), role: zRole }));

export const listOrgs = protectedProcedure({ tokens: "read" })
  .input(z.void())
  .output(ZOrgListOutput)
  .query(async ({ ctx }) => {
    const p = ctx.principal;
    const orgs = await listOrgsOfUser(ctx.db.db, p.user.id);
    return p.kind === "token" ? orgs.filter((o) => o.id === p.token.orgId) : orgs;
  });

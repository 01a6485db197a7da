import { z } from "zod";
import { listMembers as listMemberRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, zRole } from "../shared.js";

export const ZMembersOutput = z.array(
  z.object({ userId: z.string(), email: z.string(), name: z.string(), role: zRole, createdAt: z.string() }),
);

export const listMembers = orgProcedure("viewer", { tokens: "none" })
  .input(z.void())
  .output(ZMembersOutput)
  .query(async ({ ctx }) => {
    const rows = await listMemberRows(ctx.db.db, ctx.scope);
    return rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) }));
  });

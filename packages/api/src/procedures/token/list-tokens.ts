import { z } from "zod";
import { listTokens as listTokenRows, ROLE_RANK } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";

export const ZTokenListOutput = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    projectId: z.string().nullable(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
    userEmail: z.string(),
  }),
);

/** Members see their own tokens; admins and owners see the team's. Never the secret. */
export const listTokens = orgProcedure("member", { tokens: "none" })
  .input(z.void())
  .output(ZTokenListOutput)
  .query(async ({ ctx }) => {
    const all = ROLE_RANK[ctx.org.role] >= ROLE_RANK.admin;
    const rows = await listTokenRows(ctx.db.db, ctx.scope, { userId: all ? null : ctx.actor.userId });
    return rows.map((r) => ({
      ...r,
      expiresAt: iso(r.expiresAt),
      lastUsedAt: iso(r.lastUsedAt),
      revokedAt: iso(r.revokedAt),
      createdAt: iso(r.createdAt),
    }));
  });

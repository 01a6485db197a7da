import { z } from "zod";
import { listInvitations as listInvitationRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso, zRole } from "../shared.js";

export const ZInvitationsOutput = z.array(
  z.object({
    id: z.string(),
    role: zRole,
    email: z.string().nullable(),
    expiresAt: z.string(),
    acceptedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  }),
);

export const listInvitations = orgProcedure("admin", { tokens: "none" })
  .input(z.void())
  .output(ZInvitationsOutput)
  .query(async ({ ctx }) => {
    const rows = await listInvitationRows(ctx.db.db, ctx.scope);
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      email: r.email,
      expiresAt: iso(r.expiresAt),
      acceptedAt: iso(r.acceptedAt),
      revokedAt: iso(r.revokedAt),
      createdAt: iso(r.createdAt),
    }));
  });

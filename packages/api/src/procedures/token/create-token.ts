import { z } from "zod";
import { getProject, insertToken, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { generateApiToken } from "@autoglm/protocol/api-token";
import { iso, zId, zText } from "../shared.js";

/** `infer`: calls every endpoint of the team (of its project, when restricted) at `/serve/…`, S11. */
export const TOKEN_SCOPES = ["read", "write", "agent", "infer"] as const;
export const ZCreateTokenInput = z
  .object({
    name: zText(100, 1),
    scopes: z
      .array(z.enum(TOKEN_SCOPES))
      .min(1, "needs at least one scope")
      .max(TOKEN_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, "must not repeat a scope"),
    projectId: zId.optional(),
    /** Default 30, at most 365 (S3). */
    expiresInDays: z.number().int("must be a whole number of days").min(1).max(365, "must be at most 365").default(30),
  })
  .strict();
export const ZCreateTokenOutput = z.object({ id: z.string(), token: z.string(), prefix: z.string(), expiresAt: z.string() });

/** The only time the token is returned; the database keeps its sha256. */
export const createToken = orgProcedure("member", { tokens: "none" })
  .input(ZCreateTokenInput)
  .output(ZCreateTokenOutput)
  .mutation(async ({ ctx, input }) => {
    if (input.projectId && !(await getProject(ctx.db.db, ctx.scope, input.projectId))) throw notFound("Project");
    const { token, prefix, hash } = generateApiToken();
    const expiresAt = new Date(ctx.options.clock.now().getTime() + input.expiresInDays * 24 * 3600_000);
    const row = await withTransaction(ctx.db.db, async (tx) => {
      const r = await insertToken(tx, ctx.scope, {
        userId: ctx.actor.userId,
        name: input.name,
        prefix,
        tokenHash: hash,
        scopes: [...input.scopes],
        projectId: input.projectId ?? null,
        expiresAt,
      });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "token.create",
        targetType: "token",
        targetId: r.id,
        details: { name: input.name, scopes: input.scopes, projectId: input.projectId ?? null, prefix },
      });
      return r;
    });
    return { id: row.id, token, prefix, expiresAt: iso(expiresAt) };
  });

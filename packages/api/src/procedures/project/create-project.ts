import { z } from "zod";
import { insertProject, slugify, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { zText } from "../shared.js";

export const ZCreateProjectInput = z.object({ name: zText(100, 1), description: zText(2000).optional() }).strict();
export const ZCreateProjectOutput = z.object({ id: z.string(), slug: z.string() });

export const createProject = orgProcedure("member")
  .input(ZCreateProjectInput)
  .output(ZCreateProjectOutput)
  .mutation(async ({ ctx, input }) => {
    if (ctx.scope.projectId) {
      throw new AppError("SCOPE_MISSING", {
        userMessage: "This API token is restricted to one project; it cannot create projects.",
      });
    }
    return withTransaction(ctx.db.db, async (tx) => {
      const row = await insertProject(tx, ctx.scope, {
        name: input.name,
        slug: slugify(input.name),
        description: input.description ?? null,
      });
      if (!row)
        throw new AppError("CONFLICT", { userMessage: `A project named like "${input.name}" already exists in this team.` });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "project.create",
        targetType: "project",
        targetId: row.id,
        details: { name: input.name },
      });
      return row;
    });
  });

import { z } from "zod";
import { deleteModelAliasByModelId, lockModel, withTransaction, writeAudit } from "@autoglm/db/queries";
import { AppError, notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zAliasName, zModelName } from "../../models/references.js";
import { ZAliasMove } from "./set-model-alias.js";

/** Removes an alias from a model (the version stays); audited as `model.alias.remove`. */
export const removeModelAlias = orgProcedure("member")
  .input(z.object({ name: zModelName, alias: zAliasName }).strict())
  .output(ZAliasMove)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const model = await lockModel(tx, ctx.scope, input.name);
      if (!model) throw notFound("Model");
      const from = await deleteModelAliasByModelId(tx, { orgId: ctx.scope.orgId, modelId: model.id, alias: input.alias });
      if (from === null) throw new AppError("NOT_FOUND", { userMessage: `Model "${model.name}" has no alias "${input.alias}".` });
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "model.alias.remove",
        targetType: "model",
        targetId: model.id,
        details: { model: model.name, alias: input.alias, from },
      });
      return { model: model.name, alias: input.alias, version: null, previousVersion: from };
    }),
  );

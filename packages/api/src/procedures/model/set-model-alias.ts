import { z } from "zod";
import { findModelVersion, lockModel, withTransaction } from "@autoglm/db/queries";
import { AppError, notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { moveAliasInTx } from "../../models/alias-moves.js";
import { zAliasName, zModelName, zVersionNumber } from "../../models/references.js";

export const ZAliasMove = z.object({
  model: z.string(),
  alias: z.string(),
  /** The version the alias points at now (null after a removal). */
  version: z.number().int().nullable(),
  /** The version it pointed at before (null when it is new). */
  previousVersion: z.number().int().nullable(),
});

/** Points an alias (`champion`, `production`) at a live version of the model; audited with from/to. */
export const setModelAlias = orgProcedure("member")
  .input(z.object({ name: zModelName, alias: zAliasName, version: zVersionNumber }).strict())
  .output(ZAliasMove)
  .mutation(async ({ ctx, input }) => {
    const result = await withTransaction(ctx.db.db, async (tx) => {
      const model = await lockModel(tx, ctx.scope, input.name);
      if (!model) throw notFound("Model");
      const target = await findModelVersion(tx, ctx.scope, { modelId: model.id, version: input.version });
      if (!target || target.deletedAt) {
        throw new AppError("NOT_FOUND", {
          userMessage: `Model "${model.name}" has no ${target ? "live " : ""}version ${input.version} for alias "${input.alias}" to point at.`,
        });
      }
      const moved = await moveAliasInTx(tx, ctx, {
        model,
        alias: input.alias,
        versionId: target.id,
        version: target.version,
        digest: target.digest,
      });
      return { model: model.name, alias: input.alias, version: target.version, previousVersion: moved.from };
    });
    ctx.options.webhooks?.onQueued?.();
    // Endpoints that follow the alias roll out its new version now.
    ctx.runLoop?.servingChanged?.();
    return result;
  });

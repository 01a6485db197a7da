import { z } from "zod";
import {
  listAliasesByVersionId,
  findModelVersion,
  lockModel,
  softDeleteModelVersionById,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import { AppError, notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zModelName, zVersionNumber } from "../../models/references.js";
import { zOk } from "../shared.js";

/**
 * Soft-deletes a version: it stops resolving and listing, its number is never reused, its row
 * (lineage, digest) stays for the audit trail. Refused while an alias points at it.
 */
export const deleteModelVersion = orgProcedure("member")
  .input(z.object({ name: zModelName, version: zVersionNumber }).strict())
  .output(zOk)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const model = await lockModel(tx, ctx.scope, input.name);
      if (!model) throw notFound("Model");
      const v = await findModelVersion(tx, ctx.scope, { modelId: model.id, version: input.version });
      if (!v || v.deletedAt) {
        throw new AppError("NOT_FOUND", {
          userMessage: `Model "${model.name}" has no ${v ? "live " : ""}version ${input.version}.`,
        });
      }
      const aliases = await listAliasesByVersionId(tx, v.id);
      if (aliases.length > 0) {
        const list = aliases.map((a) => `"${a}"`).join(", ");
        throw new AppError("MODEL_VERSION_ALIASED", {
          userMessage: `Version ${v.version} of model "${model.name}" cannot be deleted while alias ${list} points at it; move or remove the alias first.`,
        });
      }
      await softDeleteModelVersionById(tx, v.id);
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "model.version.delete",
        targetType: "model_version",
        targetId: v.id,
        details: { model: model.name, version: v.version, digest: v.digest },
      });
      return { ok: true as const };
    }),
  );

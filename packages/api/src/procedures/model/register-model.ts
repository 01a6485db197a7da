import { z } from "zod";
import { listAliasesByVersionId } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { registerTrialModel } from "../../models/register.js";
import { zAliasName, zModelName, zVersionNumber } from "../../models/references.js";
import { versionView, ZModelVersion } from "../../models/views.js";
import { zId, zText } from "../shared.js";

export const ZRegisterModelInput = z
  .object({
    trialId: zId,
    name: zModelName,
    alias: zAliasName.optional(),
    description: zText(2000).optional(),
    /** Default: the trial's latest attempt that uploaded files. */
    attempt: zVersionNumber.optional(),
  })
  .strict();

/** A trial attempt's uploaded files become the next version of a model (created on first use). */
export const registerModel = orgProcedure("member")
  .input(ZRegisterModelInput)
  .output(ZModelVersion)
  .mutation(async ({ ctx, input }) => {
    const { model, version } = await registerTrialModel(
      { db: ctx.db, artifacts: ctx.artifacts },
      { scope: ctx.scope, actor: ctx.actor, email: ctx.principal.user.email },
      input,
    );
    ctx.options.webhooks?.onQueued?.();
    return versionView(ctx.scope.orgId, model.name, version, await listAliasesByVersionId(ctx.db.db, version.id));
  });

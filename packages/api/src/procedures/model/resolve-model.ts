import { z } from "zod";
import { listAliasesByVersionId } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { resolveModelRef } from "../../models/lookup.js";
import { zModelRef } from "../../models/references.js";
import { versionView, ZModelVersion } from "../../models/views.js";

/** `models:/<name>@<alias>`, `models:/<name>/<version>` (or without the scheme, or a bare name: the latest) → that version, with its files' download URLs. */
export const resolveModel = orgProcedure("viewer")
  .input(z.object({ ref: zModelRef }).strict())
  .output(ZModelVersion)
  .query(async ({ ctx, input }) => {
    const { model, version } = await resolveModelRef(ctx.db.db, ctx.scope, input.ref);
    return versionView(ctx.scope.orgId, model.name, version, await listAliasesByVersionId(ctx.db.db, version.id));
  });

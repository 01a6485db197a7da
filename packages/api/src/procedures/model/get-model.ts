import { z } from "zod";
import { findModelByName, listAliasesOf, listModelVersions } from "@autoglm/db/queries";
import { notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zModelRef } from "../../models/references.js";
import { versionView, ZModelVersion } from "../../models/views.js";
import { iso } from "../shared.js";

export const ZModelAlias = z.object({ alias: z.string(), version: z.number().int(), updatedAt: z.string() });

export const ZModelDetail = z.object({
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  projectId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  aliases: z.array(ZModelAlias),
  /** Every version, oldest first; deleted ones carry `deletedAt`. */
  versions: z.array(ZModelVersion),
});

/** A model with its versions and aliases, by name or any reference to it (`models:/name@alias` names the model too). */
export const getModel = orgProcedure("viewer")
  .input(z.object({ name: zModelRef }).strict())
  .output(ZModelDetail)
  .query(async ({ ctx, input }) => {
    const model = await findModelByName(ctx.db.db, ctx.scope, input.name.name);
    if (!model) throw notFound("Model");
    const [versions, aliases] = await Promise.all([
      listModelVersions(ctx.db.db, ctx.scope, model.id),
      listAliasesOf(ctx.db.db, ctx.scope, [model.id]),
    ]);
    const aliasesOf = (v: number) => aliases.filter((a) => a.version === v).map((a) => a.alias);
    return {
      name: model.name,
      description: model.description,
      tags: model.tags,
      projectId: model.projectId,
      createdAt: iso(model.createdAt),
      updatedAt: iso(model.updatedAt),
      aliases: aliases.map((a) => ({ alias: a.alias, version: a.version, updatedAt: iso(a.updatedAt) })),
      versions: versions.map((v) => versionView(ctx.scope.orgId, model.name, v, aliasesOf(v.version))),
    };
  });

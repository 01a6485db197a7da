import { z } from "zod";
import { updateModel as updateModelRow, withTransaction, writeAudit } from "@autoglm/db/queries";
import { notFound } from "../../errors.js";
import { orgProcedure } from "../../trpc.js";
import { zModelName } from "../../models/references.js";
import { iso, zText } from "../shared.js";

const zTag = z
  .string()
  .trim()
  .min(1, "is required")
  .max(40, "must be at most 40 characters")
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:=-]*$/,
    'must be letters, digits, ".", "_", ":", "=" and "-", starting with a letter or digit',
  );

export const ZUpdateModelInput = z
  .object({
    name: zModelName,
    /** null clears it. */
    description: zText(2000).nullable().optional(),
    /** The whole set (replaces the old one); duplicates are dropped, order kept. */
    tags: z.array(zTag).max(20, "must be at most 20 tags").optional(),
  })
  .strict()
  .refine((v) => v.description !== undefined || v.tags !== undefined, { message: "give a description or tags to change" });

export const ZModelSummary = z.object({
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  updatedAt: z.string(),
});

/** A model's description and tags (its versions are immutable; these are what a team edits); audited as `model.update`. */
export const updateModel = orgProcedure("member")
  .input(ZUpdateModelInput)
  .output(ZModelSummary)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const tags = input.tags === undefined ? undefined : [...new Set(input.tags)];
      const row = await updateModelRow(tx, ctx.scope, {
        name: input.name,
        ...(input.description !== undefined ? { description: input.description || null } : {}),
        ...(tags !== undefined ? { tags } : {}),
      });
      if (!row) throw notFound("Model");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "model.update",
        targetType: "model",
        targetId: row.id,
        details: { model: row.name, description: input.description !== undefined, tags: tags ?? null },
      });
      return { name: row.name, description: row.description, tags: row.tags, updatedAt: iso(row.updatedAt) };
    }),
  );

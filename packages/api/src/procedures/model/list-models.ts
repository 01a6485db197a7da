import { z } from "zod";
import { listAliasesOf, listModelRows, listVersionSummariesOf } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";

export const ZModelSummary = z.object({
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  projectId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Live (not deleted) versions. */
  versionCount: z.number().int(),
  latest: z.object({ version: z.number().int(), createdAt: z.string() }).nullable(),
  aliases: z.array(z.object({ alias: z.string(), version: z.number().int() })),
  /** The best objective value over live versions, by the direction of the study each came from. */
  best: z
    .object({ version: z.number().int(), metric: z.string(), direction: z.enum(["minimize", "maximize"]), value: z.number() })
    .nullable(),
});

type TSummary = Awaited<ReturnType<typeof listVersionSummariesOf>>[number];
type TBest = z.infer<typeof ZModelSummary>["best"];

function bestOf(versions: TSummary[]): TBest {
  let best: TBest = null;
  for (const v of versions) {
    const objective = (v.lineage as { objective?: { metric: string; direction: "minimize" | "maximize" } }).objective;
    const value = objective ? (v.metrics as Record<string, unknown>)[objective.metric] : undefined;
    if (!objective || typeof value !== "number") continue;
    const better = !best || (objective.direction === "minimize" ? value < best.value : value > best.value);
    if (better) best = { version: v.version, metric: objective.metric, direction: objective.direction, value };
  }
  return best;
}

/** The team's models (a project-restricted token: its project's; `projectId` narrows to one project). */
export const listModels = orgProcedure("viewer")
  .input(
    z
      .object({ projectId: z.string().uuid("must be an id (uuid)").optional() })
      .strict()
      .optional(),
  )
  .output(z.array(ZModelSummary))
  .query(async ({ ctx, input }) => {
    const all = await listModelRows(ctx.db.db, ctx.scope);
    const models = input?.projectId ? all.filter((m) => m.projectId === input.projectId) : all;
    const ids = models.map((m) => m.id);
    const [versions, aliases] = await Promise.all([
      listVersionSummariesOf(ctx.db.db, ctx.scope, ids),
      listAliasesOf(ctx.db.db, ctx.scope, ids),
    ]);
    return models.map((m) => {
      const mine = versions.filter((v) => v.modelId === m.id);
      const latest = mine.at(-1);
      return {
        name: m.name,
        description: m.description,
        tags: m.tags,
        projectId: m.projectId,
        createdAt: iso(m.createdAt),
        updatedAt: iso(m.updatedAt),
        versionCount: mine.length,
        latest: latest ? { version: latest.version, createdAt: iso(latest.createdAt) } : null,
        aliases: aliases.filter((a) => a.modelId === m.id).map((a) => ({ alias: a.alias, version: a.version })),
        best: bestOf(mine),
      };
    });
  });

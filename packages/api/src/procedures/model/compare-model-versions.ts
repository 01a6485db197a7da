import { z } from "zod";
import { orgProcedure } from "../../trpc.js";
import { resolveModelRef } from "../../models/lookup.js";
import { zModelRef } from "../../models/references.js";

const ZSide = z.object({
  model: z.string(),
  version: z.number().int(),
  uri: z.string(),
  digest: z.string(),
  trialId: z.string().nullable(),
});
const ZRow = z.object({ name: z.string(), a: z.unknown(), b: z.unknown(), differs: z.boolean() });

/** Two versions (of one model or two) side by side: every param and metric either has, sorted by name. */
export const compareModelVersions = orgProcedure("viewer")
  .input(z.object({ a: zModelRef, b: zModelRef }).strict())
  .output(z.object({ a: ZSide, b: ZSide, params: z.array(ZRow), metrics: z.array(ZRow) }))
  .query(async ({ ctx, input }) => {
    const a = await resolveModelRef(ctx.db.db, ctx.scope, input.a);
    const b = await resolveModelRef(ctx.db.db, ctx.scope, input.b);
    const side = (r: typeof a) => ({
      model: r.model.name,
      version: r.version.version,
      uri: `models:/${r.model.name}/${r.version.version}`,
      digest: r.version.digest,
      trialId: r.version.trialId,
    });
    const paramsOf = (r: typeof a) => (r.version.lineage as { params?: Record<string, unknown> }).params ?? {};
    const metricsOf = (r: typeof a) => (r.version.metrics ?? {}) as Record<string, unknown>;
    return { a: side(a), b: side(b), params: rows(paramsOf(a), paramsOf(b)), metrics: rows(metricsOf(a), metricsOf(b)) };
  });

function rows(a: Record<string, unknown>, b: Record<string, unknown>) {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.map((name) => ({
    name,
    a: a[name] ?? null,
    b: b[name] ?? null,
    differs: JSON.stringify(a[name] ?? null) !== JSON.stringify(b[name] ?? null),
  }));
}

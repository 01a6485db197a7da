import { withTransaction } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import {
  loadEndpoint,
  updateEndpointInTx,
  refineSizing,
  zEndpointName,
  ZEndpointSizing,
  ZEndpointTarget,
} from "../../endpoints/changes.js";
import { endpointDetail, ZEndpointDetail } from "../../endpoints/views.js";

export const ZUpdateEndpointInput = ZEndpointTarget.partial()
  .merge(ZEndpointSizing)
  .extend({ name: zEndpointName })
  .strict()
  .superRefine(refineSizing);

/**
 * Changes what an endpoint serves (model, alias or fixed version) or its replicas and resources.
 * A new version is rolled out without downtime: its replicas start, and the old ones drain only
 * once the new ones are ready. Audited (`endpoint.update`).
 */
export const updateEndpoint = orgProcedure("member")
  .input(ZUpdateEndpointInput)
  .output(ZEndpointDetail)
  .mutation(async ({ ctx, input }) => {
    const { name, ...change } = input;
    const row = await withTransaction(ctx.db.db, async (tx) => {
      const current = await loadEndpoint(tx, ctx.scope, name);
      return updateEndpointInTx(tx, ctx, current, { ...change, via: "update" });
    });
    ctx.runLoop?.servingChanged?.();
    return endpointDetail(ctx.db.db, ctx.scope, row, { publicUrl: ctx.options.publicUrl, flavor: row.targetFlavor });
  });

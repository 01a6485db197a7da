import { withTransaction } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { createEndpointInTx, refineSizing, zEndpointName, ZEndpointSizing, ZEndpointTarget } from "../../endpoints/changes.js";
import { endpointDetail, ZEndpointDetail } from "../../endpoints/views.js";

export const ZCreateEndpointInput = ZEndpointTarget.merge(ZEndpointSizing)
  .extend({ name: zEndpointName })
  .strict()
  .superRefine(refineSizing);

/**
 * A new endpoint serving a model's alias (default `production`) or a fixed version; the
 * reconciler starts its replicas on the team's agents. Audited (`endpoint.create`).
 */
export const createEndpoint = orgProcedure("member")
  .input(ZCreateEndpointInput)
  .output(ZEndpointDetail)
  .mutation(async ({ ctx, input }) => {
    const row = await withTransaction(ctx.db.db, (tx) => createEndpointInTx(tx, ctx, { ...input, via: "create" }));
    ctx.runLoop?.servingChanged?.();
    return endpointDetail(ctx.db.db, ctx.scope, row, { publicUrl: ctx.options.publicUrl, flavor: row.targetFlavor });
  });

import { z } from "zod";
import { orgProcedure } from "../../trpc.js";
import { loadEndpoint, zEndpointName } from "../../endpoints/changes.js";
import { endpointDetail, ZEndpointDetail } from "../../endpoints/views.js";

export const ZEndpointNameInput = z.object({ name: zEndpointName }).strict();

/** One endpoint: its replicas (state, agent, reason), scaling (load, count, why, history), version history and keys (never their secrets). */
export const getEndpoint = orgProcedure("viewer")
  .input(ZEndpointNameInput)
  .output(ZEndpointDetail)
  .query(async ({ ctx, input }) => {
    const row = await loadEndpoint(ctx.db.db, ctx.scope, input.name);
    return endpointDetail(ctx.db.db, ctx.scope, row, {
      publicUrl: ctx.options.publicUrl,
      flavor: row.targetFlavor,
      scaleHistory: ctx.runLoop?.endpointScaleHistory?.bind(ctx.runLoop),
    });
  });

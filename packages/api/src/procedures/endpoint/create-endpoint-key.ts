import { withTransaction } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { loadEndpoint, zEndpointName } from "../../endpoints/changes.js";
import { createEndpointKeyInTx, ZEndpointKey, ZKeyOptions } from "../../endpoints/keys.js";

export const ZCreateEndpointKeyInput = ZKeyOptions.extend({ endpoint: zEndpointName }).strict();

/** A new key for one endpoint, returned this once (`Authorization: Bearer agl_…` at `/serve/…`). */
export const createEndpointKey = orgProcedure("member")
  .input(ZCreateEndpointKeyInput)
  .output(ZEndpointKey)
  .mutation(async ({ ctx, input }) =>
    withTransaction(ctx.db.db, async (tx) => {
      const endpoint = await loadEndpoint(tx, ctx.scope, input.endpoint);
      return createEndpointKeyInTx(tx, ctx, { ...input, endpoint, now: ctx.options.clock.now() });
    }),
  );

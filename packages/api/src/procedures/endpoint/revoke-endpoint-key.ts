import { z } from "zod";
import { revokeEndpointKey as revokeKeyRow, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { loadEndpoint, zEndpointName } from "../../endpoints/changes.js";
import { zId, zOk } from "../shared.js";

export const ZRevokeEndpointKeyInput = z.object({ endpoint: zEndpointName, keyId: zId }).strict();

/** Revokes one key of the endpoint: its next request answers 401. Audited. */
export const revokeEndpointKey = orgProcedure("member")
  .input(ZRevokeEndpointKeyInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      const endpoint = await loadEndpoint(tx, ctx.scope, input.endpoint);
      const at = ctx.options.clock.now();
      if (!(await revokeKeyRow(tx, ctx.scope, { endpointId: endpoint.id, keyId: input.keyId, at }))) {
        throw notFound("Endpoint key");
      }
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "endpoint.key.revoke",
        targetType: "endpoint",
        targetId: endpoint.id,
        details: { endpoint: endpoint.name, keyId: input.keyId },
      });
    });
    // The gateways forget the keys they granted (serving/granted-keys.ts in the server).
    ctx.events.publish(accessRevoked.tokenRevoked(input.keyId));
    return { ok: true as const };
  });

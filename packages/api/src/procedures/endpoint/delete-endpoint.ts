import { softDeleteEndpoint, withTransaction, writeAudit } from "@autoglm/db/queries";
import { accessRevoked } from "../../events.js";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { loadEndpoint } from "../../endpoints/changes.js";
import { zOk } from "../shared.js";
import { ZEndpointNameInput } from "./get-endpoint.js";

/** Deletes an endpoint: its keys stop working at once, its replicas drain; the name is free again. Audited. */
export const deleteEndpoint = orgProcedure("member")
  .input(ZEndpointNameInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    const deleted = await withTransaction(ctx.db.db, async (tx) => {
      const row = await loadEndpoint(tx, ctx.scope, input.name);
      if (!(await softDeleteEndpoint(tx, ctx.scope, { id: row.id, at: new Date() }))) throw notFound("Endpoint");
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "endpoint.delete",
        targetType: "endpoint",
        targetId: row.id,
        details: { name: row.name },
      });
      return row;
    });
    // The gateways forget the keys they granted for it (serving/granted-keys.ts in the server).
    ctx.events.publish(accessRevoked.endpointDeleted(ctx.scope.orgId, deleted.id));
    ctx.runLoop?.servingChanged?.();
    return { ok: true as const };
  });

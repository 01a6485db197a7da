import { z } from "zod";
import { listSsoMappings, replaceSsoMappings, withTransaction, writeAudit } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { zOk } from "../shared.js";
import { ZSsoMappings } from "./sso-mapping-schemas.js";

export const ZSetSsoMappingsInput = z.object({ mappings: ZSsoMappings }).strict();

/** Replaces the team's single sign-on mappings; applied at each member's next OIDC sign-in. */
export const setSsoMappings = orgProcedure("admin", { tokens: "none" })
  .input(ZSetSsoMappingsInput)
  .output(zOk)
  .mutation(async ({ ctx, input }) => {
    await withTransaction(ctx.db.db, async (tx) => {
      const before = await listSsoMappings(tx, ctx.scope);
      await replaceSsoMappings(tx, ctx.scope, input.mappings);
      await writeAudit(tx, {
        orgId: ctx.scope.orgId,
        actor: ctx.actor,
        action: "sso_mappings.update",
        targetType: "organization",
        targetId: ctx.scope.orgId,
        details: { from: before.map(({ kind, value, role }) => ({ kind, value, role })), to: input.mappings },
      });
    });
    return { ok: true as const };
  });

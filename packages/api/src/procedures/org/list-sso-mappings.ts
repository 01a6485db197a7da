import { z } from "zod";
import { listSsoMappings as listSsoMappingRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { ZSsoMappingsOutput, zSsoRole } from "./sso-mapping-schemas.js";

export const listSsoMappings = orgProcedure("admin", { tokens: "none" })
  .input(z.void())
  .output(ZSsoMappingsOutput)
  .query(async ({ ctx }) => {
    const rows = await listSsoMappingRows(ctx.db.db, ctx.scope);
    return rows.map((r) => ({ kind: r.kind, value: r.value, role: zSsoRole.parse(r.role) }));
  });

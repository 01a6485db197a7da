import { z } from "zod";
import { listEndpointRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { endpointViews, ZEndpointView } from "../../endpoints/views.js";

/** The team's endpoints (a project-restricted token: its project's), by name, with live replica counts. */
export const listEndpoints = orgProcedure("viewer")
  .output(z.array(ZEndpointView))
  .query(async ({ ctx }) => {
    const rows = await listEndpointRows(ctx.db.db, ctx.scope);
    return endpointViews(ctx.db.db, ctx.scope, rows, ctx.options.publicUrl);
  });

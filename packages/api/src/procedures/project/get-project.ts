import { z } from "zod";
import { getProject as getProjectRow } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { notFound } from "../../errors.js";
import { zId } from "../shared.js";
import { projectOut, ZProject } from "./list-projects.js";

export const ZGetProjectInput = z.object({ projectId: zId }).strict();

export const getProject = orgProcedure("viewer")
  .input(ZGetProjectInput)
  .output(ZProject)
  .query(async ({ ctx, input }) => {
    const row = await getProjectRow(ctx.db.db, ctx.scope, input.projectId);
    if (!row) throw notFound("Project");
    return projectOut(row);
  });

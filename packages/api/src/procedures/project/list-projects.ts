import { z } from "zod";
import { listProjects as listProjectRows } from "@autoglm/db/queries";
import { orgProcedure } from "../../trpc.js";
import { iso } from "../shared.js";

export const ZProject = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  studyCount: z.number().int(),
  createdAt: z.string(),
});
export const ZProjectListOutput = z.array(ZProject);

export function projectOut(r: {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  studyCount: number;
  createdAt: Date;
}) {
  return { ...r, studyCount: Number(r.studyCount), createdAt: iso(r.createdAt) };
}

export const listProjects = orgProcedure("viewer")
  .input(z.void())
  .output(ZProjectListOutput)
  .query(async ({ ctx }) => (await listProjectRows(ctx.db.db, ctx.scope)).map(projectOut));

import { z } from "zod";
import { findStudyByName, getProject, lockProject, withTransaction } from "@autoglm/db/queries";
import { MAX_SPEC_YAML_CHARS, studySpecOf, ZStudySpec, type TStudySpec } from "@autoglm/protocol";
import { orgProcedure } from "../../trpc.js";
import { AppError, notFound } from "../../errors.js";
import { zId, zStudyState } from "../shared.js";
import { checkSpecWithOptimizer, insertStudyAudited } from "./create-study.js";
import { specFromYaml } from "../../spec-yaml-pool.js";
import { specDifferences } from "./spec-diff.js";

export const ZApplyStudyInput = z
  .object({
    projectId: zId,
    spec: ZStudySpec.optional(),
    yaml: z.string().max(MAX_SPEC_YAML_CHARS, `must be at most ${MAX_SPEC_YAML_CHARS} characters`).optional(),
    /** Replaces the spec's `name` (CI names a study per commit without editing the file). */
    name: z.string().trim().min(1, "is required").max(120, "must be at most 120 characters").optional(),
    /** What to do when the project has a study of that name: resume it (default) or refuse. */
    ifExists: z.enum(["resume", "error"]).default("resume"),
  })
  .strict()
  .refine((v) => (v.spec === undefined) !== (v.yaml === undefined), {
    message: "give exactly one of spec or yaml",
    path: ["spec"],
  });

export const ZApplyStudyOutput = z.object({
  id: z.string(),
  name: z.string(),
  /** True when this call created the study; false when it found one to resume. */
  created: z.boolean(),
  state: zStudyState,
  /** Differences from the stored spec outside space and objective, kept as stored (`budget.max_trials: 50 → 80`). */
  notApplied: z.array(z.string()),
});

/**
 * `study.applySpec` (the CLI's `study apply`): config as code. Creates the study, or, when the project already has one of
 * that name with the same space and objective, returns it to be resumed. A changed space is
 * STUDY_SPACE_CHANGED with each difference in the message: the finished trials were drawn
 * from the old space and a sampler must not read them as evidence about a new one.
 */
export const applyStudy = orgProcedure("member")
  .input(ZApplyStudyInput)
  .output(ZApplyStudyOutput)
  .mutation(async ({ ctx, input }) => {
    const parsed = input.spec ?? (await specFromYaml(input.yaml!));
    const spec: TStudySpec = input.name === undefined ? parsed : { ...parsed, name: input.name };
    checkSpecWithOptimizer(spec);
    if (!(await getProject(ctx.db.db, ctx.scope, input.projectId))) throw notFound("Project");
    const result = await withTransaction(ctx.db.db, async (tx) => {
      if (!(await lockProject(tx, ctx.scope, input.projectId))) throw notFound("Project");
      const existing = await findStudyByName(tx, ctx.scope, { projectId: input.projectId, name: spec.name });
      if (existing) {
        if (input.ifExists === "error") {
          throw new AppError("STUDY_EXISTS", {
            userMessage: `A study named "${spec.name}" already exists in this project (${existing.id}).`,
          });
        }
        const diff = specDifferences(studySpecOf(existing.spec), spec);
        if (diff.identity.length > 0) {
          throw new AppError("STUDY_SPACE_CHANGED", {
            userMessage:
              `Study "${spec.name}" (${existing.id}) exists with a different space or objective: ${diff.identity.join("; ")}. ` +
              "Give the study a new name to start over, or restore the stored values to resume it.",
          });
        }
        return { id: existing.id, name: existing.name, created: false, state: existing.state, notApplied: diff.other };
      }
      const row = await insertStudyAudited(tx, ctx, { projectId: input.projectId, spec, via: "apply" });
      return { id: row.id, name: row.name, created: true, state: row.state, notApplied: [] as string[] };
    });
    if (result.created) ctx.events.publish({ type: "study:updated", orgId: ctx.scope.orgId, studyId: result.id });
    return result;
  });

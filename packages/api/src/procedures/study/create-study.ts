import { z } from "zod";
import {
  getProject,
  insertStudy,
  withTransaction,
  writeAudit,
  type Actor,
  type DbOrTx,
  type TenantScope,
} from "@autoglm/db/queries";
import { MAX_SPEC_YAML_CHARS, primaryObjective, ZStudySpec, type TStudySpec } from "@autoglm/protocol";
import { createOptimizer } from "@autoglm/optimizer";
import { optimizerConfigOf } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { AppError, notFound } from "../../errors.js";
import { specFromYaml } from "../../spec-yaml-pool.js";
import { zId } from "../shared.js";
import { checkWarmStartSource } from "./warm-start.js";

export const ZCreateStudyInput = z
  .object({
    projectId: zId,
    spec: ZStudySpec.optional(),
    yaml: z.string().max(MAX_SPEC_YAML_CHARS, `must be at most ${MAX_SPEC_YAML_CHARS} characters`).optional(),
  })
  .strict()
  .refine((v) => (v.spec === undefined) !== (v.yaml === undefined), {
    message: "give exactly one of spec or yaml",
    path: ["spec"],
  });
export const ZCreateStudyOutput = z.object({ id: z.string() });

/** The optimizer's own checks (sampler options, space details zod cannot see). */
export function checkSpecWithOptimizer(spec: TStudySpec): void {
  try {
    createOptimizer(optimizerConfigOf(spec));
  } catch (err) {
    throw new AppError("INVALID_SPEC", { userMessage: err instanceof Error ? err.message : "The spec is not valid." });
  }
}

/** Inserts the study and its `study.create` audit row (the caller's transaction). */
export async function insertStudyAudited(
  tx: DbOrTx,
  who: { scope: TenantScope; actor: Actor },
  input: { projectId: string; spec: TStudySpec; via?: string },
) {
  const { spec, projectId } = input;
  await checkWarmStartSource(tx, who.scope, spec);
  const row = await insertStudy(tx, who.scope, {
    projectId,
    name: spec.name,
    spec,
    // The first objective: the columns are NOT NULL and the history chart and lists read them.
    direction: primaryObjective(spec).direction,
    metric: primaryObjective(spec).metric,
    createdBy: who.actor.userId,
  });
  await writeAudit(tx, {
    orgId: who.scope.orgId,
    actor: who.actor,
    action: "study.create",
    targetType: "study",
    targetId: row.id,
    details: { name: spec.name, projectId, ...(input.via ? { via: input.via } : {}) },
  });
  return row;
}

export const createStudy = orgProcedure("member")
  .input(ZCreateStudyInput)
  .output(ZCreateStudyOutput)
  .mutation(async ({ ctx, input }) => {
    const spec = input.spec ?? (await specFromYaml(input.yaml!));
    checkSpecWithOptimizer(spec);
    const project = await getProject(ctx.db.db, ctx.scope, input.projectId);
    if (!project) throw notFound("Project");
    const study = await withTransaction(ctx.db.db, (tx) => insertStudyAudited(tx, ctx, { projectId: project.id, spec }));
    ctx.events.publish({ type: "study:updated", orgId: ctx.scope.orgId, studyId: study.id });
    return { id: study.id };
  });

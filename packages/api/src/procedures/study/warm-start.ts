import { z } from "zod";
import { getStudy as getStudyRow, type DbOrTx, type TenantScope } from "@autoglm/db/queries";
import { objectivesOf, studySpecOf, type TStudySpec } from "@autoglm/protocol";
import { loadWarmStart } from "@autoglm/scheduler";
import { orgProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { loadStudyOrNotFound, ZStudyIdInput } from "./get-study.js";

/**
 * A new study's `warm_start.from` must name a study the caller can see (the team's, and the
 * token's project when the token is restricted; another team's answers like a missing one, S1)
 * with the same objectives (metrics and directions, in order): its values are fed to this
 * study's sampler as they are.
 */
export async function checkWarmStartSource(tx: DbOrTx, scope: TenantScope, spec: TStudySpec): Promise<void> {
  if (!spec.warm_start) return;
  const source = await getStudyRow(tx, scope, spec.warm_start.from);
  if (!source) throw new AppError("NOT_FOUND", { userMessage: "warm_start.from: Study not found." });
  const describe = (s: TStudySpec) =>
    objectivesOf(s)
      .map((o) => `${o.metric} (${o.direction})`)
      .join(", ");
  const theirs = describe(studySpecOf(source.spec));
  const ours = describe(spec);
  if (theirs !== ours) {
    const noun = objectivesOf(spec).length > 1 ? "objectives" : "objective";
    throw new AppError("INVALID_SPEC", {
      userMessage:
        `warm_start.from: the source study "${source.name}" has the ${noun} ${theirs} and this study ` +
        `${ours}; a warm start needs the same metrics and directions.`,
    });
  }
}

export const ZWarmStartOutput = z
  .object({
    /** Null when the source no longer exists, or is outside a restricted token's project. */
    source: z.object({ id: z.string(), name: z.string() }).nullable(),
    /** The source's complete trials the sampler starts from. */
    trials: z.number().int().nonnegative(),
    /** Its complete trials left out because their params do not fit this study's space. */
    skipped: z.number().int().nonnegative(),
  })
  .nullable();

/** Where a study's sampler started from (`warm_start`), for the study page header; null without one. */
export const getWarmStart = orgProcedure("viewer")
  .input(ZStudyIdInput)
  .output(ZWarmStartOutput)
  .query(async ({ ctx, input }) => {
    const study = await loadStudyOrNotFound(ctx.db.db, ctx.scope, input.studyId);
    const warm = await loadWarmStart(ctx.db.db, study.id, studySpecOf(study.spec));
    if (!warm) return null;
    const visible = warm.source && (await getStudyRow(ctx.db.db, ctx.scope, warm.source.id));
    return {
      source: visible ? { id: visible.id, name: visible.name } : null,
      trials: warm.trials.length,
      skipped: warm.skipped,
    };
  });

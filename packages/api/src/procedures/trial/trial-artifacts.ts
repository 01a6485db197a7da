import { z } from "zod";
import { findTrialArtifact, listTrialArtifacts } from "@autoglm/db/queries";
import type { TApiDeps } from "../../context.js";
import { downloadContext, type TDownloader } from "../download-context.js";
import { createCallerFactory, orgProcedure, router } from "../../trpc.js";
import { iso, zId } from "../shared.js";

/** Where the server serves an artifact (apps/server artifact-download.ts); `org` picks a session's team. */
export function artifactDownloadPath(input: { orgId: string; trialId: string; attempt: number; name: string }): string {
  const name = input.name.split("/").map(encodeURIComponent).join("/");
  return `/api/artifacts/${input.trialId}/${input.attempt}/${name}?org=${input.orgId}`;
}

export const ZTrialArtifact = z.object({
  attempt: z.number().int(),
  /** The file's path relative to the attempt's output dir. */
  name: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  createdAt: z.string(),
  downloadUrl: z.string(),
});

/** The files a trial's agents uploaded from its output dirs, every attempt's. */
export const listArtifacts = orgProcedure("viewer")
  .input(z.object({ trialId: zId }).strict())
  .output(z.array(ZTrialArtifact))
  .query(async ({ ctx, input }) => {
    const rows = await listTrialArtifacts(ctx.db.db, ctx.scope, input.trialId);
    return rows.map((r) => ({
      attempt: r.attempt,
      name: r.name,
      sizeBytes: r.sizeBytes,
      sha256: r.sha256,
      createdAt: iso(r.createdAt),
      downloadUrl: artifactDownloadPath({ orgId: ctx.scope.orgId, trialId: input.trialId, attempt: r.attempt, name: r.name }),
    }));
  });

/** One file with its store key: for the server's download route only, so not in the app router. */
const artifactFile = orgProcedure("viewer", { tokens: "read" })
  .input(z.object({ trialId: zId, attempt: z.number().int().min(1), name: z.string().min(1).max(1024) }).strict())
  .query(async ({ ctx, input }) => findTrialArtifact(ctx.db.db, ctx.scope, input));
const downloadCaller = createCallerFactory(router({ artifactFile }));

/**
 * The artifact a download asks for, after the same checks as any read procedure: a session
 * acting in `orgId` or an API token with the read scope, the team's (a forbidden trial looks
 * missing). Throws the api's AppError (TOKEN_INVALID, NOT_FOUND, …); null when there is no such file.
 */
export async function findDownloadableArtifact(
  deps: TApiDeps,
  who: TDownloader,
  input: { trialId: string; attempt: number; name: string },
) {
  return downloadCaller(await downloadContext(deps, who)).artifactFile(input);
}

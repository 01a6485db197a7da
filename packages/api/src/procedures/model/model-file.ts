import { z } from "zod";
import type { TApiDeps } from "../../context.js";
import { downloadContext, type TDownloader } from "../download-context.js";
import { createCallerFactory, orgProcedure, router } from "../../trpc.js";
import { resolveModelRef } from "../../models/lookup.js";
import { zModelName, zVersionNumber } from "../../models/references.js";

/** One file of a live version with its store key: for the server's download route only, so not in the app router. */
const modelFile = orgProcedure("viewer", { tokens: "read" })
  .input(z.object({ name: zModelName, version: zVersionNumber, file: z.string().min(1).max(1024) }).strict())
  .query(async ({ ctx, input }) => {
    const { version } = await resolveModelRef(ctx.db.db, ctx.scope, { name: input.name, version: input.version });
    return version.files.find((f) => f.name === input.file) ?? null;
  });
const downloadCaller = createCallerFactory(router({ modelFile }));

/**
 * The file a model download asks for, after the same checks as any read procedure (a session
 * acting in `orgId` or a read-scoped API token; another team's model looks missing). Throws the
 * api's AppError (TOKEN_INVALID, NOT_FOUND, …); null when the version has no such file.
 */
export async function findDownloadableModelFile(
  deps: TApiDeps,
  who: TDownloader,
  input: { name: string; version: number; file: string },
) {
  return downloadCaller(await downloadContext(deps, who)).modelFile(input);
}

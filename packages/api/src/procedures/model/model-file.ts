import { z } from "zod";
import { createContext, nodeHeaderGetter, type TApiDeps, type TSessionClaims } from "../../context.js";
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
  who: { session?: TSessionClaims | null; authorization?: string; orgId?: string | null },
  input: { name: string; version: number; file: string },
) {
  const headers: Record<string, string> = {};
  if (who.authorization) headers.authorization = who.authorization;
  if (who.orgId) headers["x-autoglm-org"] = who.orgId;
  const session = who.session;
  const ctx = await createContext(deps, {
    header: nodeHeaderGetter(headers),
    getSession: session ? async () => session : undefined,
    isHttp: false,
  });
  return downloadCaller(ctx).modelFile(input);
}

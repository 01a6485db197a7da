import { createContext, nodeHeaderGetter, type TApiDeps, type TSessionClaims } from "../context.js";

/** Who asks for a download: a session acting in `orgId`, or an API token in `authorization`. */
export interface TDownloader {
  session?: TSessionClaims | null;
  authorization?: string;
  orgId?: string | null;
}

/**
 * The tRPC context of the server's download routes, built from the same headers a procedure call
 * carries, so a download passes exactly the checks of a read procedure.
 */
export async function downloadContext(deps: TApiDeps, who: TDownloader) {
  const headers: Record<string, string> = {};
  if (who.authorization) headers.authorization = who.authorization;
  if (who.orgId) headers["x-autoglm-org"] = who.orgId;
  const session = who.session;
  return createContext(deps, {
    header: nodeHeaderGetter(headers),
    getSession: session ? async () => session : undefined,
    isHttp: false,
  });
}

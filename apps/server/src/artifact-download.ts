import type { IncomingMessage, ServerResponse } from "node:http";
import type { ArtifactStore } from "@autoglm/artifacts";
import { findDownloadableArtifact, nullEvents } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { decodeSessionCookie } from "./session.js";
import { sendJson } from "./sign-in-guard.js";
import { sendApiRefusal, sendStoredFile, type TTamperedFile } from "./verified-download.js";

/**
 * `GET /api/artifacts/:trialId/:attempt/<name>[?org=<team>]`: a trial's uploaded file, for a
 * signed-in member (session cookie; `org` names the team, as x-autoglm-org does for tRPC) or
 * an API token with the read scope. Another team's trial answers 404, like a missing one (S1).
 * The body streams from the store, verified against its recorded SHA-256 on the way
 * (verified-download.ts); `X-Autoglm-Sha256` lets the client verify what it got.
 */
export const ARTIFACT_DOWNLOAD_PREFIX = "/api/artifacts/";
const PATH_RE = /^\/api\/artifacts\/([^/]+)\/(\d{1,9})\/(.+)$/;

export interface ArtifactDownloadDeps {
  db: DbHandle;
  store: ArtifactStore;
  /** Read per request: the cookie settings are known once the port is (PUBLIC_URL or the listener). */
  session: () => { authSecret: string; secureCookies: boolean };
  /** A stored file whose bytes no longer match its row: refused, and reported here for the log. */
  onTampered?: (info: TTamperedFile & { route: string }) => void;
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Artifact not found." } });
}

/** The caller's credentials as the api's download lookups take them. */
export async function downloaderOf(deps: Pick<ArtifactDownloadDeps, "session">, req: IncomingMessage, url: URL) {
  const { authSecret, secureCookies } = deps.session();
  const authorization = req.headers.authorization;
  const session = authorization ? null : await decodeSessionCookie(req.headers.cookie, authSecret, secureCookies);
  return { session, ...(authorization ? { authorization } : {}), orgId: url.searchParams.get("org") };
}

export function createArtifactDownload(deps: ArtifactDownloadDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== "GET")
      return sendJson(res, 405, { error: { code: "METHOD", message: "Artifacts are downloaded with GET." } });
    const m = PATH_RE.exec(url.pathname);
    if (!m) return notFound(res);
    let name: string;
    try {
      name = m[3]!.split("/").map(decodeURIComponent).join("/");
    } catch {
      return notFound(res);
    }
    let file;
    try {
      file = await findDownloadableArtifact({ db: deps.db, events: nullEvents }, await downloaderOf(deps, req, url), {
        trialId: m[1]!,
        attempt: Number(m[2]),
        name,
      });
    } catch (err) {
      if (sendApiRefusal(res, err)) return;
      throw err;
    }
    if (!file) return notFound(res);
    await sendStoredFile(res, deps.store, file, (info) => deps.onTampered?.({ ...info, route: "artifact" }));
  };
}

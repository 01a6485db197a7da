import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { ArtifactStore } from "@autoglm/artifacts";
import { findDownloadableArtifact, nullEvents } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { decodeSessionCookie } from "./session.js";
import { sendJson } from "./sign-in-guard.js";

/**
 * `GET /api/artifacts/:trialId/:attempt/<name>[?org=<team>]`: a trial's uploaded file, for a
 * signed-in member (session cookie; `org` names the team, as x-autoglm-org does for tRPC) or
 * an API token with the read scope. Another team's trial answers 404, like a missing one (S1).
 * The body streams from the store; `X-Autoglm-Sha256` lets the client verify what it got.
 */
export const ARTIFACT_DOWNLOAD_PREFIX = "/api/artifacts/";
const PATH_RE = /^\/api\/artifacts\/([^/]+)\/(\d{1,9})\/(.+)$/;

/** tRPC codes of the api's refusals, as HTTP statuses (anything else is a 500). */
const STATUS_OF: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
};

export interface ArtifactDownloadDeps {
  db: DbHandle;
  store: ArtifactStore;
  /** Read per request: the cookie settings are known once the port is (PUBLIC_URL or the listener). */
  session: () => { authSecret: string; secureCookies: boolean };
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Artifact not found." } });
}

/** "a/b c.txt" → `attachment; filename="b c.txt"; filename*=UTF-8''b%20c.txt` (RFC 6266), quotes and controls dropped. */
function dispositionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  // Only printable ASCII without quotes or backslashes goes in the quoted form.
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
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
    const { authSecret, secureCookies } = deps.session();
    const authorization = req.headers.authorization;
    const session = authorization ? null : await decodeSessionCookie(req.headers.cookie, authSecret, secureCookies);
    let file;
    try {
      file = await findDownloadableArtifact(
        { db: deps.db, events: nullEvents },
        { session, ...(authorization ? { authorization } : {}), orgId: url.searchParams.get("org") },
        { trialId: m[1]!, attempt: Number(m[2]), name },
      );
    } catch (err) {
      const status = STATUS_OF[(err as { code?: string }).code ?? ""];
      if (!status) throw err;
      const message = (err as { userMessage?: string }).userMessage ?? (err as Error).message;
      return sendJson(res, status, { error: { code: (err as { appCode?: string }).appCode ?? "BAD_REQUEST", message } });
    }
    if (!file) return notFound(res);
    const body = await deps.store.get(file.storeKey);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(file.sizeBytes),
      "content-disposition": dispositionOf(file.name),
      "x-autoglm-sha256": file.sha256,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    });
    await pipeline(body, res);
  };
}

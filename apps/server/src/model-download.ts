import type { IncomingMessage, ServerResponse } from "node:http";
import { findDownloadableModelFile, nullEvents } from "@autoglm/api";
import { downloaderOf, type ArtifactDownloadDeps } from "./artifact-download.js";
import { sendJson } from "./sign-in-guard.js";
import { sendApiRefusal, sendStoredFile } from "./verified-download.js";

/**
 * `GET /api/models/<name>/versions/<n>/files/<path>[?org=<team>]`: one file of a registered
 * model version, with the same credentials as the artifact download (session + `org`, or a
 * read-scoped token). Another team's model, a deleted version or an unknown file answer 404.
 * Served verified against the SHA-256 the version recorded (verified-download.ts); no Range.
 */
export const MODEL_DOWNLOAD_PREFIX = "/api/models/";
const PATH_RE = /^\/api\/models\/([^/]+)\/versions\/(\d{1,10})\/files\/(.+)$/;

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Model file not found." } });
}

function decodePath(m: RegExpExecArray): { name: string; version: number; file: string } | null {
  try {
    return { name: decodeURIComponent(m[1]!), version: Number(m[2]), file: m[3]!.split("/").map(decodeURIComponent).join("/") };
  } catch {
    return null;
  }
}

export function createModelDownload(deps: ArtifactDownloadDeps) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (req.method !== "GET") {
      return sendJson(res, 405, { error: { code: "METHOD", message: "Model files are downloaded with GET." } });
    }
    const m = PATH_RE.exec(url.pathname);
    const input = m && decodePath(m);
    if (!input) return notFound(res);
    let file;
    try {
      file = await findDownloadableModelFile({ db: deps.db, events: nullEvents }, await downloaderOf(deps, req, url), input);
    } catch (err) {
      if (sendApiRefusal(res, err)) return;
      throw err;
    }
    if (!file) return notFound(res);
    await sendStoredFile(res, deps.store, file, (info) => deps.onTampered?.({ ...info, route: "model" }));
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { isWellFormedApiToken, sha256Hex } from "@autoglm/api";
import type { ArtifactStore } from "@autoglm/artifacts";
import type { DbHandle } from "@autoglm/db/client";
import { findReplicaFileByHash } from "@autoglm/db/queries";
import { sendJson } from "./sign-in-guard.js";
import { sendStoredFile, type TTamperedFile } from "./verified-download.js";

/**
 * `GET /agent/replicas/<replicaId>/files/<name>`: one file of the model version a serving
 * replica loads, for the agent holding the replica's lease (`Authorization: Bearer <agent
 * token>`, `X-Autoglm-Lease: <lease token>`). 401 for a token that may not act as an agent,
 * 409 for a lease that is not (or no longer) this agent's, 404 for a file the version lacks.
 * Streamed verified against the SHA-256 the version recorded (verified-download.ts).
 */
export const REPLICA_FILES_PREFIX = "/agent/replicas/";
const PATH_RE = /^\/agent\/replicas\/([0-9a-f-]{36})\/files\/(.+)$/i;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeName(raw: string): string | null {
  try {
    return raw.split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
}

export function createReplicaFiles(deps: {
  db: DbHandle;
  store: ArtifactStore;
  onTampered?: (info: TTamperedFile & { route: string }) => void;
}) {
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== "GET")
      return sendJson(res, 405, { error: { code: "METHOD", message: "Replica files are read with GET." } });
    const m = PATH_RE.exec(pathname);
    const fileName = m ? decodeName(m[2]!) : null;
    if (!m || fileName === null) return sendJson(res, 404, { error: { code: "NOT_FOUND", message: "File not found." } });
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (!auth || !isWellFormedApiToken(auth[1])) {
      return sendJson(res, 401, {
        error: { code: "TOKEN_INVALID", message: "Send the agent's API token as `Authorization: Bearer agl_…`." },
      });
    }
    const lease = req.headers["x-autoglm-lease"];
    if (typeof lease !== "string" || !UUID_RE.test(lease)) {
      return sendJson(res, 400, {
        error: { code: "LEASE_TOKEN_REQUIRED", message: "X-Autoglm-Lease must be the replica's lease token." },
      });
    }
    const r = await findReplicaFileByHash(deps.db, {
      tokenHash: sha256Hex(auth[1]),
      replicaId: m[1]!,
      leaseToken: lease,
      fileName,
    });
    if (r.status === "unauthorized") {
      return sendJson(res, 401, { error: { code: "TOKEN_INVALID", message: "This token may not act as an agent." } });
    }
    if (r.status === "stale") {
      return sendJson(res, 409, { error: { code: "STALE_LEASE", message: "This agent no longer holds the replica's lease." } });
    }
    if (r.status === "missing") {
      return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `The model version has no file "${fileName}".` } });
    }
    await sendStoredFile(res, deps.store, r.file, (info) => deps.onTampered?.({ ...info, route: "replica" }));
  };
}

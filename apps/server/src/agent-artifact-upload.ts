import type { IncomingMessage, ServerResponse } from "node:http";
import { artifactKey, ArtifactStoreError, checkRelativeName, type ArtifactStore } from "@autoglm/artifacts";
import { DEFAULT_ARTIFACTS_MB, isWellFormedApiToken, sha256Hex } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { checkArtifactUploadByTokenHash, recordTrialArtifactById, type TArtifactUploadCheck } from "@autoglm/db/queries";
import { sendJson } from "./sign-in-guard.js";

/**
 * `PUT /agent-api/v1/trials/:trialId/attempts/:attempt/artifacts/<name>`: an agent uploads one
 * file of an attempt's output dir (ARCHITECTURE.md "Artifacts"). Agents never hold store
 * credentials; the body streams straight into the store, which verifies the announced size and
 * SHA-256 before it commits anything. Fenced like every agent write: the agent's API token may
 * act (S13), the trial is its team's, and the lease token and attempt are the running attempt's
 * held by that token's agent (R2).
 */
export const AGENT_ARTIFACTS_PREFIX = "/agent-api/v1/trials/";
const PATH_RE = /^\/agent-api\/v1\/trials\/([^/]+)\/attempts\/([^/]+)\/artifacts\/(.+)$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256_RE = /^[0-9a-f]{64}$/;
const MIB = 1024 * 1024;

class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface TUploadRequest {
  tokenHash: string;
  trialId: string;
  attempt: number;
  leaseToken: string;
  name: string;
  size: number;
  sha256: string;
}

/** The request's parts, checked; a precise 400/401/404 otherwise. Nothing is read from the body. */
function parseUpload(req: IncomingMessage, pathname: string): TUploadRequest {
  const m = PATH_RE.exec(pathname);
  if (!m) throw new UploadError(404, "NOT_FOUND", "No such route: PUT /agent-api/v1/trials/<id>/attempts/<n>/artifacts/<name>.");
  const [, trialId, attemptText, rawName] = m as unknown as [string, string, string, string];
  if (!UUID_RE.test(trialId)) throw new UploadError(404, "NOT_FOUND", "Trial not found.");
  const attempt = Number(attemptText);
  if (!/^\d{1,9}$/.test(attemptText) || attempt < 1) {
    throw new UploadError(400, "BAD_ATTEMPT", `The attempt must be a positive integer, not "${attemptText.slice(0, 20)}".`);
  }
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!auth || !isWellFormedApiToken(auth[1])) {
    throw new UploadError(401, "TOKEN_INVALID", "Send the agent's API token as `Authorization: Bearer agl_…`.");
  }
  const leaseToken = header(req, "x-autoglm-lease-token");
  if (!UUID_RE.test(leaseToken))
    throw new UploadError(400, "LEASE_TOKEN_REQUIRED", "X-Autoglm-Lease-Token must be the attempt's lease token.");
  const sha256 = header(req, "x-autoglm-sha256").toLowerCase();
  if (!SHA256_RE.test(sha256))
    throw new UploadError(400, "SHA256_REQUIRED", "X-Autoglm-Sha256 must be the file's SHA-256 as 64 hex digits.");
  const lengthText = header(req, "content-length");
  if (!/^\d{1,15}$/.test(lengthText) || req.headers["transfer-encoding"]) {
    throw new UploadError(400, "LENGTH_REQUIRED", "Content-Length is required (the file's size in bytes; no chunked uploads).");
  }
  return { tokenHash: sha256Hex(auth[1]), trialId, attempt, leaseToken, name: nameOf(rawName), size: Number(lengthText), sha256 };
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

/** Each URL segment percent-decoded once, then the store's own name rules (no "..", no absolute path, …). */
function nameOf(raw: string): string {
  try {
    return checkRelativeName(raw.split("/").map(decodeURIComponent).join("/"));
  } catch (err) {
    if (err instanceof ArtifactStoreError) throw new UploadError(400, "INVALID_NAME", err.message);
    throw new UploadError(400, "INVALID_NAME", "The artifact name is not valid percent-encoding.");
  }
}

const REFUSALS: Record<Exclude<TArtifactUploadCheck["status"], "ok">, UploadError> = {
  "token-refused": new UploadError(
    401,
    "TOKEN_INVALID",
    "This API token may not act as an agent (revoked, expired, or its owner's role).",
  ),
  "not-found": new UploadError(404, "NOT_FOUND", "Trial not found."),
  "stale-lease": new UploadError(
    409,
    "STALE_LEASE",
    "This lease token and attempt are not the trial's running attempt; nothing was stored.",
  ),
  "other-agent": new UploadError(403, "NOT_THE_HOLDER", "Another agent holds this trial's lease; nothing was stored."),
};

/** Checks, streams and records one upload; every refusal is an UploadError and stores nothing. */
async function storeUpload(db: DbHandle, store: ArtifactStore, req: IncomingMessage, up: TUploadRequest): Promise<number> {
  const check = await checkArtifactUploadByTokenHash(db, up);
  if (check.status !== "ok") throw REFUSALS[check.status];
  if (check.existing && check.existing.sha256 === up.sha256 && check.existing.sizeBytes === up.size) return 200;
  const maxMb = check.maxMb ?? DEFAULT_ARTIFACTS_MB;
  const cap = maxMb * MIB;
  if (check.usedBytes + up.size > cap) {
    throw new UploadError(
      413,
      "ARTIFACTS_CAP",
      `${up.name} is ${up.size} bytes; this attempt has stored ${check.usedBytes} of its ${cap} bytes ` +
        `(run.artifacts_max_mb: ${maxMb}), so ${Math.max(0, cap - check.usedBytes)} bytes remain.`,
    );
  }
  const owner = {
    teamId: check.orgId,
    projectId: check.projectId,
    studyId: check.studyId,
    trialId: up.trialId,
    attempt: up.attempt,
  };
  const key = artifactKey(owner, up.name);
  try {
    await store.put(key, req, { size: up.size, sha256: up.sha256 });
  } catch (err) {
    if (err instanceof ArtifactStoreError && (err.code === "SIZE_MISMATCH" || err.code === "SHA256_MISMATCH")) {
      throw new UploadError(400, err.code, `${err.message}; nothing was stored.`);
    }
    throw err;
  }
  const recorded = await recordTrialArtifactById(db, { ...up, sizeBytes: up.size, storeKey: key });
  if (!recorded) {
    // The lease ended while the bytes streamed: the object has no row, so it goes too (an
    // earlier row under this name keeps its key, whose bytes this upload replaced).
    if (!check.existing) await store.delete(key);
    throw REFUSALS["stale-lease"];
  }
  return 201;
}

/** Reads (and drops) what is left of a refused body, so the client reads the answer rather than a reset. */
function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req
      .on("end", resolve)
      .on("error", () => resolve())
      .on("close", resolve);
    req.resume();
  });
}

export function createAgentArtifactUpload(deps: { db: DbHandle; store: ArtifactStore }) {
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    try {
      if (req.method !== "PUT") throw new UploadError(405, "METHOD", "Artifacts are uploaded with PUT.");
      const up = parseUpload(req, pathname);
      const status = await storeUpload(deps.db, deps.store, req, up);
      await drain(req);
      sendJson(res, status, { name: up.name, sizeBytes: up.size, sha256: up.sha256, stored: status === 201 });
    } catch (err) {
      if (!(err instanceof UploadError)) throw err;
      await drain(req);
      sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    }
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isWellFormedApiToken, sha256Hex } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { authorizeInferenceByHash, touchTokenLastUsed, type TReadyReplica } from "@autoglm/db/queries";
import type { Logger } from "@autoglm/logging";
import { Pool } from "undici";
import { DEFAULT_PICKER_OPTIONS, ReplicaPicker, type ReplicaPickerOptions } from "./replica-picker.js";
import { sendServeError } from "./serve-errors.js";

/** `/serve/<team-slug>/<endpoint>/<protocol path>`: inference requests, ahead of Next and of the 1 MiB body limit. */
export const SERVE_PREFIX = "/serve/";
const PATH_RE = /^\/serve\/([^/]+)\/([^/]+)(\/.*)?$/;
/** The bound on an inference body: a 64-row batch of images is far below it. */
export const SERVE_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Headers that describe one connection, not the request: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "authorization",
  "cookie",
]);
const TOUCH_THROTTLE_MS = 60_000;

export interface ServeGatewayDeps {
  db: DbHandle;
  logger: Logger;
  picker?: Partial<ReplicaPickerOptions>;
}

export interface ServeGateway {
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
  /** The run loop's derivation of replica secrets; until it is set every request answers 503. */
  setSecretOf(secretOf: (replicaId: string) => string): void;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

/** Counts a request body as it streams; past the limit it fails (the caller answers 413). */
function limitBody(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > max) cb(new BodyTooLarge(`body over ${max} bytes`));
      else cb(null, chunk);
    },
  });
}

function splitPath(req: IncomingMessage, pathname: string) {
  const m = PATH_RE.exec(pathname);
  if (!m) return null;
  try {
    const query = (req.url ?? "").slice(pathname.length);
    return { slug: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), rest: m[3] ?? "/", query };
  } catch {
    return null;
  }
}

interface TTarget {
  rest: string;
  query: string;
  endpointId: string;
  replica: TReadyReplica;
  secret: string;
}

/** What one request's forwarding uses: the replica picker and a kept-alive pool per replica origin. */
interface TForwarding {
  picker: ReplicaPicker;
  poolOf(url: string): Pool;
  logger: Logger;
}

/** S11: the key must carry `infer` for this endpoint; anything else answers 401/403 before any replica sees the request. */
async function authorize(
  db: DbHandle,
  req: IncomingMessage,
  res: ServerResponse,
  parts: { slug: string; name: string; rest: string },
) {
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  const www = { "www-authenticate": 'Bearer realm="autoglm-serve"' };
  if (!auth) {
    return void sendServeError(
      res,
      parts.rest,
      401,
      "UNAUTHENTICATED",
      "Send an endpoint key as `Authorization: Bearer agl_…`.",
      www,
    );
  }
  // The checksum first: a typo never reaches the database (S3).
  if (!isWellFormedApiToken(auth[1]))
    return void sendServeError(res, parts.rest, 401, "UNAUTHENTICATED", "This key is malformed.", www);
  const access = await authorizeInferenceByHash(db, {
    tokenHash: sha256Hex(auth[1]),
    teamSlug: parts.slug,
    endpointName: parts.name,
  });
  if (access.ok) return access;
  const unauthenticated =
    access.refusal === "KEY_INVALID" || access.refusal === "KEY_REVOKED" || access.refusal === "KEY_EXPIRED";
  const message = unauthenticated
    ? "This key is not valid (unknown, revoked or expired)."
    : `This key does not open endpoint "${parts.name}" (it needs the infer scope for it), or there is no such endpoint.`;
  return void sendServeError(res, parts.rest, unauthenticated ? 401 : 403, access.refusal, message, unauthenticated ? www : {});
}

/** Streams the request to the replica and its answer back; the request's body counts against the 10 MB limit as it flows. */
async function forward(f: TForwarding, req: IncomingMessage, res: ServerResponse, t: TTarget): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers.authorization = `Bearer ${t.secret}`;
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const limiter = hasBody ? limitBody(SERVE_MAX_BODY_BYTES) : null;
  if (limiter) req.pipe(limiter);
  const done = f.picker.begin(t.replica.id);
  try {
    const upstream = await f.poolOf(t.replica.url).request({
      path: t.rest + t.query,
      method: (req.method ?? "GET") as "GET",
      headers,
      body: limiter,
    });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    res.writeHead(upstream.statusCode, out);
    await pipeline(upstream.body, res);
  } catch (err) {
    failed(f, res, t, err);
  } finally {
    done();
  }
}

function failed(f: TForwarding, res: ServerResponse, t: TTarget, err: unknown): void {
  if (err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge) {
    return sendServeError(res, t.rest, 413, "PAYLOAD_TOO_LARGE", `The body is over ${SERVE_MAX_BODY_BYTES} bytes.`, {
      connection: "close",
    });
  }
  if (res.destroyed || res.writableEnded) return; // the client went away
  const code = (err as { code?: string }).code ?? "";
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code.startsWith("UND_ERR_SOCKET") || code === "UND_ERR_CLOSED") {
    f.picker.markDown(t.endpointId, t.replica.id);
  }
  f.logger.warn("replica request failed", { replicaId: t.replica.id, code });
  // Headers already sent: the answer is cut (the client sees a truncated response, never a hang).
  sendServeError(res, t.rest, 503, "REPLICA_UNAVAILABLE", "The replica stopped answering; retry.", { "retry-after": "1" });
}

/**
 * The inference gateway (ARCHITECTURE "Serving"): authenticates the endpoint key (S11: no key,
 * a malformed, revoked or expired one → 401; a key without `infer` for this endpoint, another
 * endpoint's or another team's → 403; never a byte of model output), picks a ready replica
 * (least outstanding), and streams the request to it and the answer back over kept-alive
 * connections (one undici Pool per replica), with the replica's secret as its bearer. No ready
 * replica, or one that refuses or drops the connection before answering: 503 + Retry-After.
 */
export function createServeGateway(deps: ServeGatewayDeps): ServeGateway {
  const picker = new ReplicaPicker(deps.db, { ...DEFAULT_PICKER_OPTIONS, ...deps.picker });
  const pools = new Map<string, Pool>();
  const touched = new Map<string, number>();
  let secretOf: ((replicaId: string) => string) | null = null;
  const poolOf = (url: string): Pool => {
    const origin = new URL(url).origin;
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
      pools.set(origin, pool);
    }
    return pool;
  };
  const forwarding: TForwarding = { picker, poolOf, logger: deps.logger };
  // last_used_at (S3), written at most once a minute per key and never on the request's path.
  const touch = (tokenId: string) => {
    const now = Date.now();
    if (now - (touched.get(tokenId) ?? 0) < TOUCH_THROTTLE_MS) return;
    touched.set(tokenId, now);
    touchTokenLastUsed(deps.db.db, { id: tokenId, now: new Date(now), throttleMs: TOUCH_THROTTLE_MS }).catch(() => {});
  };

  async function handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const parts = splitPath(req, pathname);
    if (!parts) return sendServeError(res, "/", 404, "NOT_FOUND", "Use /serve/<team>/<endpoint>/<path>.");
    const access = await authorize(deps.db, req, res, parts);
    if (!access) return;
    touch(access.tokenId);
    if (Number(req.headers["content-length"] ?? 0) > SERVE_MAX_BODY_BYTES) {
      return sendServeError(res, parts.rest, 413, "PAYLOAD_TOO_LARGE", `The body is over ${SERVE_MAX_BODY_BYTES} bytes.`, {
        connection: "close",
      });
    }
    const replica = secretOf ? await picker.pick(access.endpointId) : null;
    if (!replica || !secretOf) {
      return sendServeError(res, parts.rest, 503, "NO_READY_REPLICA", "The endpoint has no ready replica yet; retry shortly.", {
        "retry-after": "1",
      });
    }
    await forward(forwarding, req, res, { ...parts, endpointId: access.endpointId, replica, secret: secretOf(replica.id) });
  }

  return {
    handle,
    setSecretOf: (fn) => {
      secretOf = fn;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => {})));
      pools.clear();
    },
  };
}

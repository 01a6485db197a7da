import type { IncomingMessage, ServerResponse } from "node:http";
import { isWellFormedApiToken, sha256Hex } from "@autoglm/api";
import type { TDomainEvent } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { authorizeInferenceByHash, listReadyReplicasById, touchTokenLastUsed } from "@autoglm/db/queries";
import type { Logger } from "@autoglm/logging";
import { Pool } from "undici";
import { DEFAULT_LOAD_SAMPLER_OPTIONS, EndpointLoadSampler, type EndpointLoadSamplerOptions } from "./endpoint-load-sampler.js";
import { GrantedKeys } from "./granted-keys.js";
import { forwardToReplica, SERVE_MAX_BODY_BYTES, type TForwarding } from "./replica-forward.js";
import { DEFAULT_PICKER_OPTIONS, ReplicaPicker, type ReplicaPickerOptions } from "./replica-picker.js";
import { memoizeSecrets } from "./replica-secrets.js";
import { sendServeError } from "./serve-errors.js";

/** `/serve/<team-slug>/<endpoint>/<protocol path>`: inference requests, ahead of Next and of the 1 MiB body limit. */
export const SERVE_PREFIX = "/serve/";
const PATH_RE = /^\/serve\/([^/]+)\/([^/]+)(\/.*)?$/;
const TOUCH_THROTTLE_MS = 60_000;

export interface ServeGatewayDeps {
  db: DbHandle;
  logger: Logger;
  picker?: Partial<ReplicaPickerOptions>;
  /** The autoscaler's load reports (endpoint-load-sampler.ts); tests shorten the period. */
  load?: Partial<EndpointLoadSamplerOptions>;
  /** The server's event bus: an `access:revoked` makes the gateway forget the keys it granted. */
  events?: { subscribe(listener: (event: TDomainEvent) => void): () => void };
}

export interface ServeGateway {
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
  /** The run loop's derivation of replica secrets; until it is set every request answers 503. */
  setSecretOf(secretOf: (replicaId: string) => string): void;
  close(): Promise<void>;
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

/** Asks the database whether the key opens the endpoint, and remembers a grant (granted-keys.ts) or forgets a refused one. */
async function checkKey(
  db: DbHandle,
  grants: GrantedKeys,
  grantKey: string,
  check: Parameters<typeof authorizeInferenceByHash>[1],
) {
  const began = grants.beginCheck();
  const access = await authorizeInferenceByHash(db, check);
  if (access.ok) grants.remember(grantKey, access, Date.now(), began);
  else grants.forget(grantKey);
  return access;
}

/** S11: the key must carry `infer` for this endpoint; anything else answers 401/403 before any replica sees the request. */
async function authorize(
  db: DbHandle,
  grants: GrantedKeys,
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
  const token = auth[1] ?? "";
  const tokenHash = sha256Hex(token);
  const grantKey = `${tokenHash}/${parts.slug}/${parts.name.toLowerCase()}`;
  const check = () => checkKey(db, grants, grantKey, { tokenHash, teamSlug: parts.slug, endpointName: parts.name });
  const now = Date.now();
  const granted = grants.get(grantKey, now);
  if (granted) {
    // Half its life gone: checked again beside this request, which the grant still opens.
    if (grants.claimRecheck(grantKey, now)) check().catch(() => grants.forget(grantKey));
    return granted;
  }
  // The checksum before the database: a typo never reaches it (S3). A granted key passed it.
  if (!isWellFormedApiToken(token))
    return void sendServeError(res, parts.rest, 401, "UNAUTHENTICATED", "This key is malformed.", www);
  const access = await check();
  if (access.ok) return access;
  const unauthenticated =
    access.refusal === "KEY_INVALID" || access.refusal === "KEY_REVOKED" || access.refusal === "KEY_EXPIRED";
  const message = unauthenticated
    ? "This key is not valid (unknown, revoked or expired)."
    : `This key does not open endpoint "${parts.name}" (it needs the infer scope for it), or there is no such endpoint.`;
  return void sendServeError(res, parts.rest, unauthenticated ? 401 : 403, access.refusal, message, unauthenticated ? www : {});
}

/**
 * The inference gateway (ARCHITECTURE "Serving"): authenticates the endpoint key (S11: no key,
 * a malformed, revoked or expired one → 401; a key without `infer` for this endpoint, another
 * endpoint's or another team's → 403; never a byte of model output), picks a ready replica
 * (least outstanding), and streams the request to it and the answer back over kept-alive
 * connections (one undici Pool per replica), with the replica's secret as its bearer. No ready
 * replica, or none left that answers (replica-forward.ts tries up to three): 503 + Retry-After.
 */
export function createServeGateway(deps: ServeGatewayDeps): ServeGateway {
  const picker = new ReplicaPicker((endpointId) => listReadyReplicasById(deps.db, endpointId), {
    ...DEFAULT_PICKER_OPTIONS,
    ...deps.picker,
  });
  const load = new EndpointLoadSampler(deps, { ...DEFAULT_LOAD_SAMPLER_OPTIONS, ...deps.load }).start();
  const grants = new GrantedKeys();
  const unsubscribe = deps.events?.subscribe((event) => {
    if (event.type === "access:revoked") grants.forgetAll();
  });
  const pools = new Map<string, Pool>();
  const touched = new Map<string, number>();
  // Keyed by the replica's URL as stored, which names one origin: no URL parsing per request
  // (`new URL()` took ~6 µs of each request in the profile at 1 connection).
  const poolOf = (url: string): Pool => {
    let pool = pools.get(url);
    if (!pool) {
      pool = new Pool(new URL(url).origin, { connections: 128, keepAliveTimeout: 30_000, pipelining: 1 });
      pools.set(url, pool);
    }
    return pool;
  };
  let secretOf: ((replicaId: string) => string) | null = null;
  const forwarding: TForwarding = { picker, load, poolOf, secretOf: (id) => secretOf!(id), logger: deps.logger };
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
    const access = await authorize(deps.db, grants, req, res, parts);
    if (!access) return;
    touch(access.tokenId);
    // Counted before a replica is picked: requests that find none still ask for one (min 0).
    res.once("close", load.begin(access.endpointId));
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
    await forwardToReplica(forwarding, req, res, { ...parts, endpointId: access.endpointId, replica });
  }

  return {
    handle,
    setSecretOf: (fn) => {
      secretOf = memoizeSecrets(fn);
    },
    async close() {
      unsubscribe?.();
      await load.stop();
      await Promise.all([...pools.values()].map((p) => p.close().catch(() => {})));
      pools.clear();
    },
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { TReadyReplica } from "@autoglm/db/queries";
import type { Logger } from "@autoglm/logging";
import type { Pool } from "undici";
import type { EndpointLoadSampler } from "./endpoint-load-sampler.js";
import { BodyTooLarge, readLimitedBody } from "./relay-streams.js";
import { HOP_BY_HOP, relayReplicaAnswer, type TReplicaRequest } from "./replica-answer.js";
import type { ReplicaPicker } from "./replica-picker.js";
import { sendServeError } from "./serve-errors.js";

/** The bound on an inference body: a 64-row batch of images is far below it. */
export const SERVE_MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Replicas one request may try. A rollout retires one version's replicas while the next
 * version's are ready, and a dead agent takes one replica: a second try lands on a live one;
 * the third covers a drain and a death at once.
 */
const MAX_TRIES = 3;
/** Connection failures that say the replica is gone (stopped, drained or its agent killed), not that the request was bad. */
const GONE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
/** What one request's forwarding uses: the replica picker, a kept-alive pool per replica origin, the replicas' secrets. */
export interface TForwarding {
  picker: ReplicaPicker;
  /** The autoscaler's per-replica load (endpoint-load-sampler.ts). */
  load?: EndpointLoadSampler;
  poolOf(url: string): Pool;
  secretOf(replicaId: string): string;
  logger: Logger;
}

export interface TTarget {
  rest: string;
  query: string;
  endpointId: string;
  replica: TReadyReplica;
}

/**
 * One try on one replica. "retry" when the replica is gone before it answered (refused or
 * dropped the connection) or answered 503 (it is draining); on the last try those answer the
 * client 503 + Retry-After instead. Once the replica's headers reach the client there is no retry.
 */
async function tryReplica(
  f: TForwarding,
  res: ServerResponse,
  t: TTarget,
  replica: TReadyReplica,
  r: TReplicaRequest,
  last: boolean,
): Promise<"done" | "retry"> {
  const done = f.picker.begin(replica.id);
  const loaded = f.load?.beginReplica(t.endpointId, replica.id);
  try {
    const headers = [...r.headers, "authorization", `Bearer ${f.secretOf(replica.id)}`];
    if ((await relayReplicaAnswer(f.poolOf(replica.url), { ...r, headers }, res, !last)) === "retry") {
      f.picker.markDown(t.endpointId, replica.id);
      return "retry";
    }
    f.picker.markUp(replica.id);
    return "done";
  } catch (err) {
    if (res.destroyed || res.writableEnded) return "done"; // the client went away
    const code = (err as { code?: string }).code ?? "";
    const gone = GONE_CODES.has(code);
    if (gone) f.picker.markDown(t.endpointId, replica.id);
    if (gone && !last && !res.headersSent) return "retry";
    f.logger.warn("replica request failed", { replicaId: replica.id, code });
    // Headers already sent: the answer is cut (the client sees a truncated response, never a hang).
    sendServeError(res, t.rest, 503, "REPLICA_UNAVAILABLE", "The replica stopped answering; retry.", { "retry-after": "1" });
    return "done";
  } finally {
    done();
    loaded?.();
  }
}

/**
 * Sends the request to the target replica and streams its answer back. The body (at most
 * 10 MB) is read first so that a replica that is gone before answering — drained by a rollout
 * (R13) or on a killed agent (R14) — costs the client nothing: the request goes to another
 * ready replica of the endpoint. Inference has no side effects, so a repeat is safe.
 */
export async function forwardToReplica(f: TForwarding, req: IncomingMessage, res: ServerResponse, t: TTarget): Promise<void> {
  // rawHeaders: the client's names and values as sent, with no object built for them. The
  // platform's own x-autoglm-* headers are never taken from a caller (a team's server may trust them).
  const headers: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !name.startsWith("x-autoglm-")) headers.push(raw[i]!, raw[i + 1]!);
  }
  let body: Buffer | null = null;
  if (req.method !== "GET" && req.method !== "HEAD") {
    try {
      body = await readLimitedBody(req, SERVE_MAX_BODY_BYTES);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) return void res.destroy(); // the client went away mid-body
      return sendServeError(res, t.rest, 413, "PAYLOAD_TOO_LARGE", `The body is over ${SERVE_MAX_BODY_BYTES} bytes.`, {
        connection: "close",
      });
    }
  }
  const r: TReplicaRequest = { path: t.rest + t.query, method: req.method ?? "GET", headers, body };
  const tried = new Set<string>();
  let replica: TReadyReplica | null = t.replica;
  for (let i = 1; replica; i++) {
    tried.add(replica.id);
    if ((await tryReplica(f, res, t, replica, r, i === MAX_TRIES)) === "done") return;
    replica = await f.picker.pick(t.endpointId, tried);
  }
  sendServeError(res, t.rest, 503, "REPLICA_UNAVAILABLE", "The endpoint's replicas stopped answering; retry.", {
    "retry-after": "1",
  });
}

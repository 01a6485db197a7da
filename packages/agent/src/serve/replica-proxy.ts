import {
  Agent,
  request,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { pipeline } from "node:stream/promises";
import { bearerCheck } from "./replica-auth.js";
import { MAX_BODY_BYTES, type ReplicaIdentity, type ReplicaState } from "./replica-http.js";

/** Headers of one connection only (RFC 9110 §7.6.1), never forwarded; `authorization` holds the replica's secret. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "authorization",
  "host",
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !NOT_FORWARDED.has(k) && !named.includes(k)) out[k] = v;
  return out;
}

export interface ProxyTarget {
  /** The team's server on 127.0.0.1. */
  port: number;
  /** `serve.health`: MLflow's liveness routes `/ping` and `/health` ask it. */
  health: string;
}

/**
 * The replica of a `command` version: the same gate as every replica (the gateway's secret,
 * 503 while draining, the version headers on every answer), then every request streamed to the
 * team's server over kept-alive loopback connections and its answer streamed back. MLflow's
 * `/ping` and `/health` go to the server's health path. Errors of our own are MLflow-shaped.
 */
export function createProxyHandler(target: ProxyTarget, id: ReplicaIdentity, state: ReplicaState) {
  const isAuthorized = bearerCheck(id.secret);
  const identity = { "x-autoglm-model": id.model, "x-autoglm-model-version": String(id.version) };
  const agent = new Agent({ keepAlive: true });
  return (req: IncomingMessage, res: ServerResponse): void => {
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { ...identity, "content-type": "application/json", ...extra });
      res.end(JSON.stringify({ error_code: code, message }));
    };
    if (!isAuthorized(req.headers.authorization))
      return fail(401, "UNAUTHENTICATED", "missing or wrong Authorization: this replica answers only its gateway");
    if (state.draining)
      return fail(503, "TEMPORARILY_UNAVAILABLE", "the replica is stopping", { "retry-after": "1", connection: "close" });
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES)
      return fail(413, "REQUEST_LIMIT_EXCEEDED", `the body is over ${MAX_BODY_BYTES} bytes`, { connection: "close" });
    state.inFlight++;
    res.on("close", () => state.inFlight--);
    const url = req.url ?? "/";
    const [path, query] = [url.split("?", 1)[0]!, url.includes("?") ? url.slice(url.indexOf("?")) : ""];
    const isLiveness = (req.method === "GET" || req.method === "HEAD") && (path === "/ping" || path === "/health");
    const upstream = request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: isLiveness ? target.health : path + query,
        headers: { ...forwardable(req.headers), host: `127.0.0.1:${target.port}` },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...forwardable(answer.headers), ...identity });
        pipeline(answer, res).catch(() => res.destroy());
      },
    );
    upstream.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      // Refused or reset: the server died; the replica restarts it, and the gateway may try another replica.
      fail(503, "TEMPORARILY_UNAVAILABLE", `the team's server did not answer (${code})`, { "retry-after": "1" });
    });
    // A client that goes away cancels the request to the team's server too.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    streamBody(req, upstream, () =>
      fail(413, "REQUEST_LIMIT_EXCEEDED", `the body is over ${MAX_BODY_BYTES} bytes`, { connection: "close" }),
    );
  };
}

/**
 * The request body to the team's server with backpressure, cut at MAX_BODY_BYTES. Not a
 * pipeline: one that fails destroys the client's request, and with it the socket our 503 or 413
 * answer has to go out on.
 */
function streamBody(req: IncomingMessage, upstream: ClientRequest, onTooLarge: () => void): void {
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    if (upstream.destroyed) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      upstream.destroy();
      return onTooLarge();
    }
    if (!upstream.write(chunk)) req.pause();
  });
  upstream.on("drain", () => req.resume());
  req.on("end", () => upstream.end());
  req.on("close", () => {
    if (!req.complete) upstream.destroy();
  });
}

import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";

/** Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set([
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

/** What one try asks of a replica. */
export interface TReplicaRequest {
  path: string;
  method: string;
  /** Flat `[name, value, …]`, as undici takes them without building an object. */
  headers: string[];
  body: Buffer | null;
}

/**
 * Sends one request to a replica and streams its answer to the client as it arrives, on
 * undici's handler API (`dispatch`) rather than `request()`: no response Readable, no pipe, no
 * AsyncResource and no promise per answer. `pnpm bench:serve`'s CPU profile of the gateway
 * (1 connection, 1-row bodies, ~2,400 requests) put ~200 ms of its ~1.7 s of own CPU in
 * request(), its response Readable and the pipe.
 *
 * Resolves "retry" when `retryOn503` and the replica answered 503 (draining: its body is
 * dropped and the client sees nothing), else "done" once the answer is handed to the client.
 * Rejects with undici's error when the replica refused, dropped or cut the connection; a client
 * that goes away aborts the replica's request. Backpressure: a slow client pauses the replica's
 * socket until the response drains.
 */
export function relayReplicaAnswer(
  dispatcher: Dispatcher,
  request: TReplicaRequest,
  res: ServerResponse,
  retryOn503: boolean,
): Promise<"done" | "retry"> {
  return new Promise((resolve, reject) => {
    let retry = false;
    let settled = false;
    let onClientGone: (() => void) | undefined;
    let onDrain: (() => void) | undefined;
    const settle = (err: Error | null, outcome: "done" | "retry" = "done") => {
      if (settled) return;
      settled = true;
      if (onClientGone) res.off("close", onClientGone);
      if (onDrain) res.off("drain", onDrain);
      if (err) reject(err);
      else resolve(outcome);
    };
    const handler: Dispatcher.DispatchHandlers = {
      onConnect(abort) {
        if (onClientGone) return; // a reconnect of the same request
        onClientGone = () => {
          if (!res.writableFinished) abort(new Error("the client went away"));
        };
        if (res.destroyed) onClientGone();
        else res.once("close", onClientGone);
      },
      onHeaders(statusCode, rawHeaders, resume) {
        if (statusCode < 200) return true; // 1xx: the final answer follows
        if (statusCode === 503 && retryOn503) {
          retry = true;
          return true;
        }
        res.writeHead(statusCode, forwardedHeaders(rawHeaders));
        onDrain = resume;
        res.on("drain", onDrain);
        return true;
      },
      onData(chunk) {
        return retry || res.write(chunk);
      },
      onComplete() {
        if (retry) return settle(null, "retry");
        settle(null);
        res.end();
      },
      onError(err) {
        settle(err);
      },
    };
    dispatcher.dispatch(
      { path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body },
      handler,
    );
  });
}

/** The replica's answer headers for the client: repeated names (set-cookie) stay separate values. */
function forwardedHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString("latin1").toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    const value = raw[i + 1]!.toString("latin1");
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

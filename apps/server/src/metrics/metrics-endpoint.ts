import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { listenHttp, type HttpListener } from "../http-listener.js";

/**
 * Who may read /metrics (never anyone by default: the series name teams and the load):
 *   - `port`: a listener of its own (`host`, default 127.0.0.1) for the cluster's Prometheus;
 *   - else `token`: /metrics on the main port with `Authorization: Bearer <token>`;
 *   - neither: 404.
 * With both, the separate listener asks for the token too.
 */
export interface MetricsAccess {
  port?: number | undefined;
  host: string;
  token?: string | undefined;
}

export interface MetricsEndpoint {
  /** Whether this main-port request is for /metrics (then `serveMain` answers it). */
  isMetricsPath(req: IncomingMessage): boolean;
  serveMain(req: IncomingMessage, res: ServerResponse): void;
  /** Starts the separate listener when `port` is set. */
  listen(): Promise<HttpListener | undefined>;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Constant-time: both sides are hashed to 32 bytes first, so neither length nor content leaks. */
function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? "";
  const sent = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  return timingSafeEqual(digest(sent), digest(token));
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers }).end(body);
}

export function createMetricsEndpoint(registry: Registry, access: MetricsAccess, log: (line: string) => void): MetricsEndpoint {
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (access.token !== undefined && !hasToken(req, access.token)) {
      send(res, 401, "unauthorized\n", { "www-authenticate": 'Bearer realm="metrics"' });
      return;
    }
    registry.metrics().then(
      (text) => send(res, 200, text, { "content-type": registry.contentType }),
      (err: unknown) => {
        log(`metrics: scrape failed: ${err instanceof Error ? err.message : String(err)}`);
        send(res, 500, "scrape failed\n");
      },
    );
  };
  return {
    isMetricsPath: (req) => (req.url ?? "/").split("?")[0] === "/metrics",
    serveMain(req, res) {
      // On the main port only in token mode; a separate port or no setting: not here.
      if (access.port === undefined && access.token !== undefined) serve(req, res);
      else send(res, 404, "not found\n");
    },
    async listen() {
      if (access.port === undefined) return undefined;
      return listenHttp(access.host, access.port, (req, res) => {
        if ((req.url ?? "/").split("?")[0] === "/metrics") serve(req, res);
        else send(res, 404, "not found\n");
      });
    },
  };
}

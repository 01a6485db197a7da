import type { IncomingMessage, ServerResponse } from "node:http";
import { requestIdFrom, traceIdFrom, withRequestContext, type Logger, type TRequestContext } from "@autoglm/logging";

const REQUEST_ID_HEADER = "x-request-id";

/** Probes and static assets: every few seconds or dozens a page; their access lines are debug. */
function isQuiet(pathname: string): boolean {
  return pathname === "/livez" || pathname === "/healthz" || pathname.startsWith("/_next/");
}

/**
 * Runs one HTTP request inside its request context: the caller's `x-request-id` when it is a
 * sane token (else a new one), echoed on the response, and the trace id of a W3C `traceparent`
 * (no tracing SDK: the id only joins our lines to the caller's trace). When the response ends,
 * one access line: method, route (never the query string: it may carry a token), status, ms.
 */
export function inRequestContext(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  const traceId = traceIdFrom(req.headers.traceparent);
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const started = performance.now();
  const context: TRequestContext = { requestId, ...(traceId ? { trace_id: traceId } : {}) };
  withRequestContext(context, () => {
    // "close" is emitted by the socket's code, outside this context: re-enter it, with the
    // team and user the api added meanwhile.
    res.once("close", () =>
      withRequestContext(context, () => {
        const route = (req.url ?? "/").split("?")[0] ?? "/";
        const fields = {
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          ...(res.writableFinished ? {} : { aborted: true }),
        };
        if (isQuiet(route)) logger.debug("request", fields);
        else logger.info("request", fields);
      }),
    );
    handle(req, res);
  });
}

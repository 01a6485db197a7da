import type { IncomingMessage, ServerResponse } from "node:http";
import { replayRequest, sendJson } from "./sign-in-guard.js";

type TRead = { body: Buffer } | { tooLarge: true } | { aborted: true };

/** Reads `req`'s body as it arrives, chunked or not, and stops (pausing the socket) past `limit` bytes. */
function readUpTo(req: IncomingMessage, limit: number): Promise<TRead> {
  // Plain listeners, not `for await`: the async iterator destroys the request when it
  // finishes, and destroying an IncomingMessage closes the socket the response needs.
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: TRead) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        req.pause();
        settle({ tooLarge: true });
      }
    };
    const onEnd = () => settle({ body: Buffer.concat(chunks, size) });
    const onClose = () => settle({ aborted: true });
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("close", onClose);
  });
}

/**
 * How long a refused connection stays half-closed (our FIN sent, nothing more read) before it
 * is destroyed: time for a client still writing its body to read the 413.
 */
const REFUSED_LINGER_MS = 2_000;

/** 413, then the connection closes: the rest of the body is never read. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const socket = req.socket;
  // After a `connection: close` answer Node destroys the socket at once; with unread body
  // bytes in its receive buffer that sends a TCP reset, and a client still writing lost the
  // 413 (3 of 9 8-MiB uploads saw no answer). Send FIN instead, read nothing more, and
  // destroy after the linger.
  socket.destroySoon = () => {
    socket.end();
  };
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  sendJson(
    res,
    413,
    { error: { message: "payload too large", userMessage: `The request is larger than ${limit / (1024 * 1024)} MiB.` } },
    { connection: "close" },
  );
}

/**
 * The request to hand on: `req` itself when it has no body; otherwise a copy carrying its
 * body, read here to at most `limit` bytes. A body past the limit (declared by
 * Content-Length, or found while a chunked one streams in) gets 413 before anything parses
 * it, and its connection closes: a 150 MB chunked body to auth.signUp was read and parsed
 * whole (server RSS +140 MB). Returns null once it has answered, or when the client left.
 */
export async function withinBodyLimit(req: IncomingMessage, res: ServerResponse, limit: number): Promise<IncomingMessage | null> {
  const declared = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  if (!chunked && (declared === undefined || Number(declared) === 0)) return req;
  if (Number(declared) > limit) {
    refuseTooLarge(req, res, limit);
    return null;
  }
  const read = await readUpTo(req, limit);
  if ("tooLarge" in read) {
    refuseTooLarge(req, res, limit);
    return null;
  }
  if ("aborted" in read) {
    res.destroy();
    return null;
  }
  return replayRequest(req, read.body);
}

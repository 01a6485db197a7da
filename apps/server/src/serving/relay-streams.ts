import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";

// The gateway's two stream hops, written with plain listeners. `pnpm bench:serve`'s CPU profile of
// the gateway (1-row bodies, 16 connections) put ~4 % in stream/consumers' buffer() (it collects
// through a Blob and an ArrayBuffer) and ~5 % in stream/promises' pipeline(), which makes and
// aborts an AbortController per call, building a DOMException with a stack each time.

export class BodyTooLarge extends Error {}

/**
 * The request body, at most `max` bytes: past that it rejects with BodyTooLarge and reads no
 * more (the caller answers 413 and closes the connection); a client that goes away mid-body
 * rejects with another error.
 */
export function readLimitedBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const stop = (err: Error) => {
      req.off("data", onData);
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > max) stop(new BodyTooLarge(`body over ${max} bytes`));
      else chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, seen)));
    req.once("error", stop);
    // Closed before the end: the client went away (resolve/reject after settling are no-ops).
    req.once("close", () => {
      if (!req.complete) stop(new Error("the client went away mid-body"));
    });
  });
}

/**
 * Streams an upstream answer to the client as it arrives and resolves once all of it is sent.
 * An upstream that fails mid-answer destroys the response (the client sees it cut, never a
 * hang); a client that goes away destroys the upstream. Either way it rejects, with the
 * response destroyed.
 */
export function relayAnswer(body: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    body.once("error", (err) => {
      res.destroy();
      reject(err);
    });
    res.once("finish", () => resolve());
    res.once("close", () => {
      if (res.writableFinished) return;
      body.destroy();
      reject(new Error("the client went away"));
    });
    body.pipe(res);
  });
}

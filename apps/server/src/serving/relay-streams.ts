import type { IncomingMessage } from "node:http";

// The request body, read with plain listeners: `pnpm bench:serve`'s CPU profile of the gateway
// (1-row bodies, 16 connections) put ~4 % in stream/consumers' buffer(), which collects through a
// Blob and an ArrayBuffer. The answer's hop is replica-answer.ts.

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

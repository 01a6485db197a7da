/**
 * The gateway's request body over real sockets: read up to its limit (and no further), and a
 * client that leaves mid-body (the answer's relay: replica-answer.test.ts).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLarge, readLimitedBody } from "./relay-streams.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose handler's outcome the test awaits. */
async function serve<T>(handler: (req: IncomingMessage, res: ServerResponse) => Promise<T>) {
  let settle!: { resolve: (v: T) => void; reject: (e: unknown) => void };
  const outcome = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((req, res) => void handler(req, res).then(settle.resolve, settle.reject));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, outcome };
}

function send(port: number, chunks: Buffer[], opts: { end?: boolean } = {}) {
  const req = request({ port, host: "127.0.0.1", method: "POST", headers: { "transfer-encoding": "chunked" } });
  req.on("error", () => {});
  const answer = new Promise<{ status: number; body: string }>((resolve) =>
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body: `${body}<cut>` }));
    }),
  );
  for (const c of chunks) req.write(c);
  if (opts.end !== false) req.end();
  return { req, answer };
}

describe("readLimitedBody", () => {
  it("returns the whole body when it is within the limit", async () => {
    const { port, outcome } = await serve(async (req, res) => {
      const body = await readLimitedBody(req, 10);
      res.end("ok");
      return body.toString();
    });
    send(port, [Buffer.from("01234"), Buffer.from("56789")]);
    expect(await outcome).toBe("0123456789");
  });

  it("rejects with BodyTooLarge one byte past the limit and reads no more", async () => {
    let seenAfter = 0;
    const { port, outcome } = await serve(async (req, res) => {
      try {
        await readLimitedBody(req, 10);
        return "read";
      } catch (err) {
        req.on("data", (c: Buffer) => (seenAfter += c.length));
        res.writeHead(413, { connection: "close" }).end();
        return err instanceof BodyTooLarge ? "too large" : String(err);
      }
    });
    const { answer } = send(port, [Buffer.from("0123456789"), Buffer.from("!"), Buffer.from("and more")]);
    expect(await outcome).toBe("too large");
    expect((await answer).status).toBe(413);
    expect(seenAfter).toBe(0);
  });

  it("rejects, not as too large, when the client goes away mid-body", async () => {
    const { port, outcome } = await serve(async (req) => {
      try {
        await readLimitedBody(req, 1_000);
        return "read";
      } catch (err) {
        return err instanceof BodyTooLarge ? "too large" : "gone";
      }
    });
    const { req } = send(port, [Buffer.from("partial")], { end: false });
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    expect(await outcome).toBe("gone");
  });
});

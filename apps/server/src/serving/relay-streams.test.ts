/**
 * The gateway's stream hops over real sockets: a body read up to its limit (and no further), a
 * client that leaves mid-body, an answer relayed as it arrives, an upstream cut mid-answer and a
 * client that leaves mid-answer.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLarge, readLimitedBody, relayAnswer } from "./relay-streams.js";

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

describe("relayAnswer", () => {
  it("relays each chunk as it arrives and resolves once all is sent", async () => {
    const upstream = new PassThrough();
    const { port, outcome } = await serve(async (_req, res) => {
      res.writeHead(200);
      await relayAnswer(upstream, res);
      return "sent";
    });
    const { answer, req } = send(port, []);
    const first = new Promise<string>((resolve) =>
      req.on("response", (res) => res.once("data", (c: Buffer) => resolve(c.toString()))),
    );
    upstream.write("data: first\n\n");
    expect(await first).toBe("data: first\n\n");
    upstream.end("data: [DONE]\n\n");
    expect(await outcome).toBe("sent");
    expect((await answer).body).toBe("data: first\n\ndata: [DONE]\n\n");
  });

  it("cuts the client's answer when the upstream fails mid-answer", async () => {
    const upstream = new PassThrough();
    const { port, outcome } = await serve(async (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      try {
        await relayAnswer(upstream, res);
        return "sent";
      } catch {
        return res.destroyed ? "cut" : "not cut";
      }
    });
    const { answer } = send(port, []);
    upstream.write("half");
    setTimeout(() => upstream.destroy(new Error("replica gone")), 50);
    expect(await outcome).toBe("cut");
    expect((await answer).body).toBe("half<cut>");
  });

  it("stops reading the upstream when the client goes away", async () => {
    const upstream = new PassThrough();
    const { port, outcome } = await serve(async (_req, res) => {
      res.writeHead(200).flushHeaders();
      try {
        await relayAnswer(upstream, res);
        return "sent";
      } catch {
        return upstream.destroyed ? "upstream stopped" : "upstream still open";
      }
    });
    const { req } = send(port, []);
    await new Promise<void>((resolve) => req.on("response", () => resolve()));
    upstream.write("data: first\n\n");
    req.destroy();
    expect(await outcome).toBe("upstream stopped");
  });
});

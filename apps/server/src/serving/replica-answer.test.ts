/**
 * The gateway's answer relay over real sockets and a real undici Pool: an answer relayed chunk by
 * chunk as the replica writes it, with its headers (hop-by-hop ones dropped, repeated ones kept);
 * a draining replica's 503 turned into "retry" with nothing sent to the client; a replica that
 * cuts its answer cuts the client's; a client that leaves mid-answer ends the replica's request.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { relayReplicaAnswer } from "./replica-answer.js";

const servers: Server[] = [];
const pools: Pool[] = [];

afterEach(async () => {
  for (const p of pools.splice(0)) await p.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A replica at `replica` and a gateway in front of it relaying with relayReplicaAnswer; resolves the gateway's URL and its outcome. */
async function gatewayTo(replica: string, retryOn503 = false) {
  const pool = new Pool(replica, { pipelining: 1 });
  pools.push(pool);
  let settle!: (v: string) => void;
  const outcome = new Promise<string>((r) => (settle = r));
  const url = await listen((req, res) => {
    const body = Buffer.from("{}");
    relayReplicaAnswer(
      pool,
      { path: req.url ?? "/", method: "POST", headers: ["content-type", "application/json"], body },
      res,
      retryOn503,
    ).then(settle, (err: Error) => {
      res.destroy();
      settle(`failed: ${err.message}`);
    });
  });
  return { url, outcome };
}

/** The client's view: status, headers and body, `<cut>` when the answer was cut. */
function call(url: string) {
  const req = request(`${url}/invocations`, { method: "POST" });
  req.on("error", () => {});
  req.end();
  return {
    req,
    answer: new Promise<{ status: number; headers: IncomingMessage["headers"]; body: string }>((resolve) =>
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: `${body}<cut>` }));
      }),
    ),
  };
}

describe("relayReplicaAnswer", () => {
  it("relays each chunk as the replica writes it, with its headers, and resolves done", async () => {
    let next!: () => void;
    const second = new Promise<void>((r) => (next = r));
    const replica = await listen((_req, res) => {
      res.setHeader("set-cookie", ["a=1", "b=2"]);
      res.writeHead(200, { "content-type": "text/event-stream", "x-autoglm-model-version": "3", "keep-alive": "timeout=7" });
      res.write("data: first\n\n");
      void second.then(() => res.end("data: [DONE]\n\n"));
    });
    const { url, outcome } = await gatewayTo(replica);
    const { req, answer } = call(url);
    const first = await new Promise<string>((resolve) =>
      req.on("response", (res) => res.once("data", (c: Buffer) => resolve(c.toString()))),
    );
    expect(first).toBe("data: first\n\n");
    next();
    const got = await answer;
    expect(got).toMatchObject({ status: 200, body: "data: first\n\ndata: [DONE]\n\n" });
    expect(got.headers).toMatchObject({
      "content-type": "text/event-stream",
      "x-autoglm-model-version": "3",
      "set-cookie": ["a=1", "b=2"],
    });
    expect(got.headers["keep-alive"]).not.toBe("timeout=7");
    expect(await outcome).toBe("done");
  });

  it("answers retry on a draining replica's 503 and sends the client nothing", async () => {
    const replica = await listen((_req, res) => res.writeHead(503, { "content-type": "text/plain" }).end("draining"));
    const { url, outcome } = await gatewayTo(replica, true);
    const { req } = call(url);
    let answered = false;
    req.on("response", () => (answered = true));
    expect(await outcome).toBe("retry");
    expect(answered).toBe(false);
  });

  it("passes the 503 through when no retry is left", async () => {
    const replica = await listen((_req, res) => res.writeHead(503, { "content-type": "text/plain" }).end("draining"));
    const { url, outcome } = await gatewayTo(replica, false);
    expect(await call(url).answer).toMatchObject({ status: 503, body: "draining" });
    expect(await outcome).toBe("done");
  });

  it("cuts the client's answer when the replica cuts its own mid-answer", async () => {
    const replica = await listen((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("half");
      setTimeout(() => res.destroy(), 50);
    });
    const { url, outcome } = await gatewayTo(replica);
    expect((await call(url).answer).body).toBe("half<cut>");
    expect(await outcome).toMatch(/^failed: /);
  });

  it("ends the replica's request when the client goes away mid-answer", async () => {
    let replicaSawClose!: () => void;
    const closed = new Promise<string>((r) => (replicaSawClose = () => r("replica request ended")));
    const replica = await listen((_req, res) => {
      res.writeHead(200).flushHeaders();
      res.write("data: first\n\n");
      res.on("close", replicaSawClose);
    });
    const { url, outcome } = await gatewayTo(replica);
    const { req } = call(url);
    await new Promise<void>((resolve) => req.on("response", () => resolve()));
    req.destroy();
    expect(await closed).toBe("replica request ended");
    expect(await outcome).toBe("failed: the client went away");
  });
});

import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A round-robin TCP load balancer for fault tests: each new client connection goes to the
 * next backend that accepts it (a dead replica is skipped), bytes are piped both ways.
 */
export async function startRoundRobinProxy(backends: number[]): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.pause();
    const tryBackend = (left: number) => {
      if (left === 0) return client.destroy();
      const port = backends[next++ % backends.length]!;
      const upstream = connect({ host: "127.0.0.1", port });
      let connected = false;
      upstream.on("error", () => {
        if (connected) client.destroy();
        else tryBackend(left - 1);
      });
      upstream.once("connect", () => {
        connected = true;
        open.add(upstream);
        upstream.on("close", () => open.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.resume();
        client.on("error", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
    };
    tryBackend(backends.length);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

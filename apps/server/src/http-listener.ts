import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";

export interface HttpListener {
  http: HttpServer;
  port: number;
  /** The host to print and to give Next: a wildcard bind shows as 127.0.0.1. */
  displayHost: string;
  /** `http://<displayHost>:<port>`. */
  url: string;
  /** Stops accepting, ends idle keep-alive connections, and cuts the rest after 2 s. */
  close(): Promise<void>;
}

/**
 * Listens on host:port with `onRequest` for every request. The port is known when this
 * resolves, so an ephemeral one (0) is ready before Next and next-auth need the URL.
 */
export async function listenHttp(
  host: string,
  port: number,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<HttpListener> {
  const http = createServer(onRequest);
  const sockets = new Set<NetSocket>();
  http.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  const displayHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${displayHost.includes(":") ? `[${displayHost}]` : displayHost}:${bound}`;
  const close = () =>
    new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections();
      // Keep-alive browsers would hold the port open; give in-flight responses 2 s.
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2_000).unref();
    });
  return { http, port: bound, displayHost, url, close };
}

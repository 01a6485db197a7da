import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import nextModule from "next";

// `next` is CommonJS (`module.exports = createServer`); under NodeNext its types say `.default`.
const createNext = ((nextModule as unknown as { default?: unknown }).default ?? nextModule) as typeof nextModule.default;

export interface PreparedWebApp {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** The dashboard, /api/trpc and /api/auth: the Next app in `dir`, prepared (built, or compiled on demand in dev). */
export async function prepareWebApp(
  http: HttpServer,
  options: { dev: boolean; dir: string; hostname: string; port: number },
): Promise<PreparedWebApp> {
  const { dev } = options;
  const app = createNext({ dev, dir: options.dir, hostname: options.hostname, port: options.port, quiet: !dev });
  await app.prepare();
  const nextHandler = app.getRequestHandler();
  if (dev) {
    // Hot reload's websocket; Socket.IO handles its own path.
    const upgrade = app.getUpgradeHandler();
    http.on("upgrade", (req, sock, head) => {
      if (req.url?.startsWith("/_next/")) void upgrade(req, sock, head);
    });
  }
  return { handle: (req, res) => nextHandler(req, res), close: () => app.close() };
}

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import path from "node:path";
import nextModule from "next";
import { createDb, pingDb, type DbHandle } from "@autoglm/db/client";
import { loadEnv, resolveAuthSecret, REPO_ROOT, type TServerEnv } from "./env.js";
import { secureDataDir } from "./data-dir.js";
import { buildAllowedOrigins, isAllowedOrigin } from "./origin.js";
import { setPlatform, type PlatformHandle } from "./platform.js";
import { createClientIpResolver } from "./client-ip.js";
import { emailFromSignInBody, readBody, replayRequest, sendJson } from "./sign-in-guard.js";
import { withinBodyLimit } from "./body-limit.js";
import { attachSocketServer } from "./socket.js";
import type { Server as SocketIOServer } from "socket.io";
import { createPlatformServices } from "./services.js";
import { attachClusterAdapter } from "./cluster-adapter.js";
import { MAX_BODY_BYTES } from "@autoglm/api";
import { attachAgentGateway, SchedulerLoop, type Logger, type RunLoopConfig } from "@autoglm/scheduler";

// `next` is CommonJS (`module.exports = createServer`); under NodeNext its types say `.default`.
const createNext = ((nextModule as unknown as { default?: unknown }).default ?? nextModule) as typeof nextModule.default;

export interface StartServerOptions {
  port?: number;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  authSecret?: string;
  publicUrl?: string;
  /** `next dev` (hot reload) instead of the production build in apps/web/.next. */
  dev?: boolean;
  /** Reuse an existing database handle (tests); the server will not close it. */
  db?: DbHandle;
  askSweepIntervalMs?: number;
  /** Overrides the studies' ask-lease length (ms); tests shrink it. */
  askLeaseMs?: number;
  /** Where the Next app lives (default `<repo>/apps/web`). */
  webDir?: string;
  /** Log lines go here (default console.log); never receives secrets. */
  log?: (line: string) => void;
  /** Environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs once the database is migrated and before the scheduler starts (the demo seed: its
   * ask/tell trials must not race the scheduler for the study's parallel slots).
   */
  beforeRunLoop?: (db: DbHandle) => Promise<void>;
  /** Run-loop timings (heartbeat, lease TTL, sweep); tests shrink them. */
  runLoop?: Partial<RunLoopConfig>;
}

export interface RunningServer {
  url: string;
  port: number;
  platform: PlatformHandle;
  /** The Socket.IO server, for namespaces other packages attach (the agents' `/agents`). */
  io: SocketIOServer;
  close(): Promise<void>;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CLIENT_IP_HEADER = "x-autoglm-client-ip";
const PATH_HEADER = "x-autoglm-path";

/**
 * Starts the one Node process: Next.js (dashboard + /api/trpc + /api/auth), Socket.IO and
 * the ask-lease sweeper, on one port. Resolves once the port answers pages.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const env: TServerEnv = loadEnv(
    {
      PORT: options.port,
      HOST: options.host,
      DATABASE_URL: options.databaseUrl,
      AUTOGLM_DATA_DIR: options.dataDir,
      AUTH_SECRET: options.authSecret,
      PUBLIC_URL: options.publicUrl,
      ASK_SWEEP_INTERVAL_MS: options.askSweepIntervalMs,
      ASK_LEASE_MS: options.askLeaseMs,
      NODE_ENV: options.dev ? "development" : undefined,
    },
    options.env,
  );
  const dev = options.dev ?? env.NODE_ENV === "development";
  const clientIpOf = createClientIpResolver(env.TRUSTED_PROXIES);
  secureDataDir(env);
  const authSecret = resolveAuthSecret(env);

  const ownsDb = !options.db;
  const db =
    options.db ??
    (await createDb({
      url: env.DATABASE_URL,
      dataDir: path.join(env.AUTOGLM_DATA_DIR, "pglite"),
      // A restarted PostgreSQL must not crash the process (R5); the pool reconnects.
      onPoolError: (err) => log(`database pool error: ${err.message}`),
    }));

  await options.beforeRunLoop?.(db);

  const services = createPlatformServices(db, (err) => log(`event listener failed: ${String(err)}`));

  // Listen first so an ephemeral port (0) is known before Next and next-auth need the URL;
  // requests that arrive while Next prepares get 503.
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  let allowedOrigins = new Set<string>();
  const http = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log(`request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent)
        sendJson(res, 500, { error: { message: "Internal error", userMessage: "Something went wrong on our side." } });
      else res.destroy();
    });
  });
  const sockets = new Set<NetSocket>();
  http.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(env.PORT, env.HOST, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const displayHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  const url = `http://${displayHost.includes(":") ? `[${displayHost}]` : displayHost}:${port}`;
  const publicUrl = (env.PUBLIC_URL ?? url).replace(/\/$/, "");
  const secureCookies = publicUrl.startsWith("https://");
  allowedOrigins = buildAllowedOrigins(publicUrl, env.ALLOWED_ORIGINS, env.HOST, port);
  // next-auth v4 reads its own URL from the environment at request time.
  process.env.NEXTAUTH_URL = publicUrl;

  const platform: PlatformHandle = {
    db,
    events: services.events,
    config: {
      authSecret,
      publicUrl,
      secureCookies,
      allowedOrigins: [...allowedOrigins],
      askLeaseMs: env.ASK_LEASE_MS,
      optimizerTimeoutMs: env.OPTIMIZER_TIMEOUT_MS,
    },
    onInternalError: ({ path: procedure, error }) =>
      log(`internal error in ${procedure}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
  };
  setPlatform(platform);

  const socket = attachSocketServer(http, {
    allowedOrigins,
    authSecret,
    secureCookies,
    verifySession: services.verifySession,
    roomTeam: services.roomTeam,
    isMember: services.isMember,
    subscribe: services.events.subscribe,
    log,
  });

  const cluster = await attachClusterAdapter(socket.io, { databaseUrl: env.DATABASE_URL, log });

  // The run loop: agents connect to the `/agents` namespace with an agent-scope
  // token; the scheduler keeps studies with a `run` section fed and sweeps expired leases.
  const runLog = runLogger(log);
  const agentGateway = attachAgentGateway(socket.io, {
    db,
    logger: runLog,
    publish: services.events.publish,
    config: { optimizerTimeoutMs: env.OPTIMIZER_TIMEOUT_MS, ...options.runLoop },
  });
  const schedulerLoop = new SchedulerLoop({
    db,
    gateway: agentGateway,
    logger: runLog,
    publish: services.events.publish,
  }).start();
  platform.runLoop = agentGateway;

  const webDir = options.webDir ?? path.join(REPO_ROOT, "apps/web");
  const app = createNext({ dev, dir: webDir, hostname: displayHost, port, quiet: !dev });
  try {
    await app.prepare();
  } catch (err) {
    await schedulerLoop.stop();
    await agentGateway.close();
    await socket.close();
    await cluster?.close();
    await new Promise<void>((r) => http.close(() => r()));
    if (ownsDb) await db.close();
    setPlatform(undefined);
    throw err;
  }
  const nextHandler = app.getRequestHandler();
  // A const here would sit in its temporal dead zone for requests that arrive while Next
  // prepares (they read `handle` and get 503).
  // eslint-disable-next-line prefer-const -- assigned once, but read before that
  handle = (req, res) => nextHandler(req, res);
  if (dev) {
    // Hot reload's websocket; Socket.IO handles its own path.
    const upgrade = app.getUpgradeHandler();
    http.on("upgrade", (req, sock, head) => {
      if (req.url?.startsWith("/_next/")) void upgrade(req, sock, head);
    });
  }

  const sweeper = setInterval(() => {
    services.sweep().catch((err: unknown) => log(`lease sweep failed: ${err instanceof Error ? err.message : String(err)}`));
  }, env.ASK_SWEEP_INTERVAL_MS);
  sweeper.unref();

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    // Only this server says who the client is; a client-sent value is dropped.
    delete req.headers[CLIENT_IP_HEADER];
    // The app layout's sign-in redirect returns here afterwards.
    req.headers[PATH_HEADER] = req.url ?? "/";
    if (pathname === "/healthz") {
      const dbOk = await pingDb(db);
      sendJson(res, dbOk && handle ? 200 : 503, {
        ok: dbOk && !!handle,
        db: dbOk ? "up" : "down",
        web: handle ? "ready" : "starting",
      });
      return;
    }
    if (!handle) {
      if (req.headers.accept?.includes("text/html")) {
        // A browser opened the printed URL a moment early: reload until the dashboard is up.
        const page = `<!doctype html><meta http-equiv="refresh" content="2"><title>Starting…</title><body style="font-family:system-ui;padding:40px;color:#333">Open-AutoGLM is starting…</body>`;
        res.writeHead(503, { "content-type": "text/html; charset=utf-8", "retry-after": "2", "cache-control": "no-store" });
        res.end(page);
        return;
      }
      sendJson(
        res,
        503,
        { error: { message: "starting", userMessage: "The server is starting; try again in a moment." } },
        { "retry-after": "2" },
      );
      return;
    }
    const method = req.method ?? "GET";
    if (UNSAFE_METHODS.has(method) && pathname.startsWith("/api/")) {
      // S5: a browser on another site cannot make us change anything with the victim's cookie.
      const origin = req.headers.origin;
      const fetchSite = req.headers["sec-fetch-site"];
      if ((origin !== undefined && !isAllowedOrigin(allowedOrigins, origin)) || fetchSite === "cross-site") {
        sendJson(res, 403, {
          error: { message: "cross-origin request refused", userMessage: "This request came from another site and was refused." },
        });
        return;
      }
    }
    // S7/S12: the largest legitimate body (a YAML spec) is far below 1 MiB. Every body, chunked
    // or not, on every route, is counted as it arrives; past the limit: 413 and the connection
    // closes before anything parses it.
    const limited = await withinBodyLimit(req, res, MAX_BODY_BYTES);
    if (!limited) return;
    req = limited;
    // Proxy-aware only through TRUSTED_PROXIES; a client-sent X-Forwarded-For is ignored.
    const ip = clientIpOf(req);
    if (method === "POST" && pathname === "/api/auth/callback/credentials") {
      const body = await readBody(req);
      if (!body) {
        sendJson(res, 413, { error: { message: "body too large", userMessage: "The sign-in request was too large." } });
        return;
      }
      const email = emailFromSignInBody(body, req.headers["content-type"]);
      // S6: next-auth's authorize callback cannot answer 429, so the limit is enforced here.
      const limit = await services.checkSignInLimit({ email, ip });
      if (limit.limited) {
        const message = "Too many sign-in attempts. Wait a few minutes and try again.";
        sendJson(
          res,
          429,
          // `url` keeps next-auth/react's signIn() (which reads data.url) from throwing.
          { message, userMessage: message, error: "RateLimited", url: `${publicUrl}/signin?error=RateLimited` },
          { "retry-after": String(limit.retryAfterSeconds) },
        );
        return;
      }
      const replay = replayRequest(req, body);
      replay.headers[CLIENT_IP_HEADER] = ip;
      await handle(replay, res);
      return;
    }
    req.headers[CLIENT_IP_HEADER] = ip;
    await handle(req, res);
  }

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(sweeper);
      await schedulerLoop.stop();
      await agentGateway.close();
      await socket.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        // Keep-alive browsers would hold the port open; give in-flight responses 2 s.
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 2_000).unref();
      });
      await app.close().catch(() => {});
      await cluster?.close().catch(() => {});
      setPlatform(undefined);
      if (ownsDb) await db.close();
    })();
    return closing;
  }

  return { url: publicUrl, port, platform, io: socket.io, close };
}

/** Run-loop lines go to the server log; fields are ids and counts, never tokens (S10). */
function runLogger(log: (line: string) => void): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    log(`[run-loop] ${level} ${message}${fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : ""}`);
  return {
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warn", m, f),
    error: (m, f) => line("error", m, f),
  };
}

import path from "node:path";
import { createDb, type DbHandle } from "@autoglm/db/client";
import type { RunLoopConfig } from "@autoglm/scheduler";
import type { Server as SocketIOServer } from "socket.io";
import { createClientIpResolver } from "./client-ip.js";
import { attachClusterAdapter } from "./cluster-adapter.js";
import { secureDataDir } from "./data-dir.js";
import { loadEnv, resolveAuthSecret, REPO_ROOT, type TServerEnv } from "./env.js";
import { listenHttp, type HttpListener } from "./http-listener.js";
import { buildAllowedOrigins } from "./origin.js";
import { setPlatform, type PlatformHandle } from "./platform.js";
import { createRequestHandler } from "./request-handler.js";
import { startRunLoop } from "./run-loop.js";
import { createPlatformServices, type PlatformServices } from "./services.js";
import { attachSocketServer } from "./socket.js";
import { prepareWebApp, type PreparedWebApp } from "./web-app.js";

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

/**
 * Starts the one Node process: Next.js (dashboard + /api/trpc + /api/auth), Socket.IO and
 * the ask-lease sweeper, on one port. Resolves once the port answers pages.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const env = loadServerEnv(options);
  const dev = options.dev ?? env.NODE_ENV === "development";
  const clientIpOf = createClientIpResolver(env.TRUSTED_PROXIES);
  secureDataDir(env);
  const authSecret = resolveAuthSecret(env);
  const { db, closeDb } = await openDatabase(options, env, log);
  await options.beforeRunLoop?.(db);
  const services = createPlatformServices(db, (err) => log(`event listener failed: ${String(err)}`));

  // Listen first so an ephemeral port (0) is known before Next and next-auth need the URL;
  // requests that arrive while Next prepares get 503.
  const requests = createRequestHandler({ db, checkSignInLimit: services.checkSignInLimit, clientIpOf, log });
  const listener = await listenHttp(env.HOST, env.PORT, requests.handle);
  const site = siteOf(env, listener);
  // next-auth v4 reads its own URL from the environment at request time.
  process.env.NEXTAUTH_URL = site.publicUrl;
  const platform = publishPlatform({ db, services, site, authSecret, env, log });

  const socket = attachSocketServer(listener.http, {
    allowedOrigins: site.allowedOrigins,
    authSecret,
    secureCookies: site.secureCookies,
    verifySession: services.verifySession,
    roomTeam: services.roomTeam,
    isMember: services.isMember,
    subscribe: services.events.subscribe,
    log,
  });
  const cluster = await attachClusterAdapter(socket.io, { databaseUrl: env.DATABASE_URL, log });
  const runLoop = startRunLoop(socket.io, {
    db,
    publish: services.events.publish,
    log,
    config: { optimizerTimeoutMs: env.OPTIMIZER_TIMEOUT_MS, ...options.runLoop },
  });
  platform.runLoop = runLoop.gateway;

  const started: StartedParts = { runLoop, socket, listener, cluster, closeDb };
  try {
    started.web = await prepareWebApp(listener.http, {
      dev,
      dir: options.webDir ?? path.join(REPO_ROOT, "apps/web"),
      hostname: listener.displayHost,
      port: listener.port,
    });
  } catch (err) {
    await shutdown(started);
    throw err;
  }
  requests.serve({ next: started.web.handle, allowedOrigins: site.allowedOrigins, publicUrl: site.publicUrl });
  started.sweeper = startLeaseSweeper(services, env.ASK_SWEEP_INTERVAL_MS, log);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= shutdown(started));
  return { url: site.publicUrl, port: listener.port, platform, io: socket.io, close };
}

function loadServerEnv(options: StartServerOptions): TServerEnv {
  return loadEnv(
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
}

/** The caller's database handle (which it closes), or one opened from the settings (which we close). */
async function openDatabase(
  options: StartServerOptions,
  env: TServerEnv,
  log: (line: string) => void,
): Promise<{ db: DbHandle; closeDb(): Promise<void> }> {
  if (options.db) return { db: options.db, closeDb: async () => {} };
  const db = await createDb({
    url: env.DATABASE_URL,
    dataDir: path.join(env.AUTOGLM_DATA_DIR, "pglite"),
    // A restarted PostgreSQL must not crash the process (R5); the pool reconnects.
    onPoolError: (err) => log(`database pool error: ${err.message}`),
  });
  return { db, closeDb: () => db.close() };
}

interface Site {
  /** The URL users reach the server at (PUBLIC_URL, else the listening address), no trailing slash. */
  publicUrl: string;
  secureCookies: boolean;
  allowedOrigins: Set<string>;
}

function siteOf(env: TServerEnv, listener: HttpListener): Site {
  const publicUrl = (env.PUBLIC_URL ?? listener.url).replace(/\/$/, "");
  return {
    publicUrl,
    secureCookies: publicUrl.startsWith("https://"),
    allowedOrigins: buildAllowedOrigins(publicUrl, env.ALLOWED_ORIGINS, env.HOST, listener.port),
  };
}

/** The handle apps/web's route handlers reach the database and event bus through. */
function publishPlatform(deps: {
  db: DbHandle;
  services: PlatformServices;
  site: Site;
  authSecret: string;
  env: TServerEnv;
  log: (line: string) => void;
}): PlatformHandle {
  const { site, env, log } = deps;
  const platform: PlatformHandle = {
    db: deps.db,
    events: deps.services.events,
    config: {
      authSecret: deps.authSecret,
      publicUrl: site.publicUrl,
      secureCookies: site.secureCookies,
      allowedOrigins: [...site.allowedOrigins],
      askLeaseMs: env.ASK_LEASE_MS,
      optimizerTimeoutMs: env.OPTIMIZER_TIMEOUT_MS,
    },
    onInternalError: ({ path: procedure, error }) =>
      log(`internal error in ${procedure}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
  };
  setPlatform(platform);
  return platform;
}

function startLeaseSweeper(services: PlatformServices, intervalMs: number, log: (line: string) => void): NodeJS.Timeout {
  const sweeper = setInterval(() => {
    services.sweep().catch((err: unknown) => log(`lease sweep failed: ${err instanceof Error ? err.message : String(err)}`));
  }, intervalMs);
  return sweeper.unref();
}

/** What startServer has started so far; the web app and the sweeper come last. */
interface StartedParts {
  runLoop: ReturnType<typeof startRunLoop>;
  socket: ReturnType<typeof attachSocketServer>;
  listener: HttpListener;
  cluster: Awaited<ReturnType<typeof attachClusterAdapter>>;
  closeDb(): Promise<void>;
  web?: PreparedWebApp;
  sweeper?: NodeJS.Timeout;
}

/** Stops what was started: no new work first (sweeper, run loop, sockets, port), the database last. */
async function shutdown(parts: StartedParts): Promise<void> {
  clearInterval(parts.sweeper);
  await parts.runLoop.stop();
  await parts.socket.close();
  await parts.listener.close();
  await parts.web?.close().catch(() => {});
  await parts.cluster?.close().catch(() => {});
  setPlatform(undefined);
  await parts.closeDb();
}

import path from "node:path";
import type { ArtifactStore } from "@autoglm/artifacts";
import { createDb, type DbHandle } from "@autoglm/db/client";
import type { AppLogger } from "@autoglm/logging";
import { loadSamplerPlugins, type RunLoopConfig } from "@autoglm/scheduler";
import type { Server as SocketIOServer } from "socket.io";
import { createClientIpResolver } from "./client-ip.js";
import { attachClusterAdapter } from "./cluster-adapter.js";
import { createAgentArtifactUpload } from "./agent-artifact-upload.js";
import { createArtifactDownload, type ArtifactDownloadDeps } from "./artifact-download.js";
import { createModelDownload } from "./model-download.js";
import { createReplicaFiles } from "./replica-files.js";
import { createServeGateway, type ServeGateway } from "./serving/serve-gateway.js";
import { createStudyExport } from "./study-export.js";
import {
  DEFAULT_RETENTION,
  startArtifactRetention,
  type ArtifactRetention,
  type ArtifactRetentionConfig,
} from "./artifact-retention.js";
import { openCheckedArtifactStore } from "./artifact-store.js";
import { secureDataDir } from "./data-dir.js";
import { loadEnv, resolveAuthSecret, REPO_ROOT, type TServerEnv } from "./env.js";
import { listenHttp, type HttpListener } from "./http-listener.js";
import { buildAllowedOrigins } from "./origin.js";
import { setPlatform, type PlatformHandle } from "./platform.js";
import { createRequestHandler, type ArtifactRoutes } from "./request-handler.js";
import { createServerLogger, errorText } from "./server-logger.js";
import { serverMetricsOf, withMetrics, type ServerMetrics } from "./metrics/index.js";
import { startRunLoop } from "./run-loop.js";
import { startModelAutoRegister, type ModelAutoRegisterLoop } from "./model-auto-register-loop.js";
import { startWebhookSender, type WebhookSender, type WebhookSenderOptions } from "./webhooks/webhook-sender.js";
import { createPlatformServices, type PlatformServices, type ServerServices } from "./services.js";
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
  /** Formatted log lines (LOG_FORMAT) go here one at a time (default stdout); never receives secrets. */
  log?: (line: string) => void;
  /** Environment to read settings from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Runs once the database is migrated and before the scheduler starts (the demo seed: its
   * ask/tell trials must not race the scheduler for the study's parallel slots).
   */
  beforeRunLoop?: (db: DbHandle) => Promise<void>;
  /** Run-loop timings (heartbeat, lease TTL, sweep); tests shrink them. */
  runLoop?: Partial<RunLoopConfig>;
  /** METRICS_PORT / METRICS_HOST / METRICS_TOKEN (env.ts): who may read /metrics. */
  metricsPort?: number;
  metricsHost?: string;
  metricsToken?: string;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS (env.ts); tests allow it for receivers on 127.0.0.1. */
  webhookAllowPrivateTargets?: boolean;
  /** The webhook sender's timings (poll, timeout, backoff, give-up); tests shrink them. */
  webhookSender?: Partial<WebhookSenderOptions>;
  /** ARTIFACT_RETENTION_DAYS (env.ts) and the sweep's timings and batch sizes; tests shrink them. */
  artifactRetention?: Partial<ArtifactRetentionConfig>;
}

export interface RunningServer {
  url: string;
  port: number;
  platform: PlatformHandle;
  /** The Socket.IO server, for namespaces other packages attach (the agents' `/agents`). */
  io: SocketIOServer;
  /** The server's logger (LOG_FORMAT, LOG_LEVEL), for the process entry's own lines. */
  logger: AppLogger;
  /** `http://host:port/metrics` of the separate metrics listener, when METRICS_PORT is set. */
  metricsUrl?: string;
  /** The artifact store (ARTIFACT_STORE), checked before the server took any work. */
  artifacts: ArtifactStore;
  close(): Promise<void>;
}

/**
 * Starts the one Node process: Next.js (dashboard + /api/trpc + /api/auth), Socket.IO and
 * the ask-lease sweeper, on one port. Resolves once the port answers pages.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const env = loadServerEnv(options);
  const logger = createServerLogger(env, options.log);
  const log = (line: string) => logger.info(line);
  const dev = options.dev ?? env.NODE_ENV === "development";
  const clientIpOf = createClientIpResolver(env.TRUSTED_PROXIES);
  secureDataDir(env);
  const artifacts = await openCheckedArtifactStore(env);
  await loadSamplerPlugins(env.AUTOGLM_SAMPLER_PLUGINS);
  const authSecret = resolveAuthSecret(env);
  const { db, closeDb } = await openDatabase(options, env, logger);
  await options.beforeRunLoop?.(db);
  const onListenerError = (err: unknown) => logger.error("event listener failed", { error: errorText(err) });
  const services: ServerServices = { ...createPlatformServices(db, onListenerError), artifacts };
  const metrics = serverMetricsOf({ db, env, runLoop: options.runLoop, log: (line) => logger.warn(line) });

  // Listen first so an ephemeral port (0) is known before Next and next-auth need the URL;
  // requests that arrive while Next prepares get 503.
  const known: { site?: Site } = {};
  const session = () => ({ authSecret, secureCookies: known.site?.secureCookies ?? false });
  const artifactRoutes = artifactRoutesOf({ db, store: artifacts, session }, logger);
  const serve = createServeGateway({ db, logger, events: services.events });
  const requests = createRequestHandler({
    db,
    checkSignInLimit: services.checkSignInLimit,
    clientIpOf,
    logger,
    artifacts: artifactRoutes,
    serve,
  });
  const listener = await listenHttp(env.HOST, env.PORT, withMetrics(requests.handle, metrics));
  const site = (known.site = siteOf(env, listener));
  // next-auth v4 reads its own URL from the environment at request time.
  process.env.NEXTAUTH_URL = site.publicUrl;
  const platform = publishPlatform({ db, services, site, authSecret, env, logger });
  platform.onProcedure = metrics.metrics.onProcedure;

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
  metrics.metrics.watchSocketIo(socket.io);
  const cluster = await attachClusterAdapter(socket.io, { databaseUrl: env.DATABASE_URL, log: (line) => logger.warn(line) });
  const runLoop = startServerRunLoop(socket.io, { db, services, logger, env, options, metrics, authSecret, serve });
  platform.runLoop = runLoop.gateway;
  const webhooks = startServerWebhooks({ db, authSecret, env, site, logger, metrics, services, options, platform });

  const started: StartedParts = { runLoop, socket, listener, cluster, closeDb, artifacts, webhooks, serve };
  try {
    started.metricsListener = await metrics.endpoint.listen();
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
  startBackgroundWork(started, { db, artifacts, env, options, logger, metrics: metrics.metrics, services, platform });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= shutdown(started));
  const metricsUrl = started.metricsListener && `${started.metricsListener.url}/metrics`;
  return {
    url: site.publicUrl,
    port: listener.port,
    platform,
    io: socket.io,
    logger,
    artifacts,
    ...(metricsUrl ? { metricsUrl } : {}),
    close,
  };
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
      METRICS_PORT: options.metricsPort,
      METRICS_HOST: options.metricsHost,
      METRICS_TOKEN: options.metricsToken,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: options.webhookAllowPrivateTargets,
      NODE_ENV: options.dev ? "development" : undefined,
    },
    options.env,
  );
}

/** The caller's database handle (which it closes), or one opened from the settings (which we close). */
async function openDatabase(
  options: StartServerOptions,
  env: TServerEnv,
  logger: AppLogger,
): Promise<{ db: DbHandle; closeDb(): Promise<void> }> {
  if (options.db) return { db: options.db, closeDb: async () => {} };
  const db = await createDb({
    url: env.DATABASE_URL,
    dataDir: path.join(env.AUTOGLM_DATA_DIR, "pglite"),
    // A restarted PostgreSQL must not crash the process (R5); the pool reconnects.
    onPoolError: (err) => logger.error("database pool error", { error: errorText(err) }),
    logger,
  });
  return { db, closeDb: () => db.close() };
}

/** The agents' upload and the users' downloads of trial artifacts and model files; downloads read the cookie settings per request. */
function artifactRoutesOf(base: Omit<ArtifactDownloadDeps, "onTampered">, logger: AppLogger): ArtifactRoutes {
  const deps: ArtifactDownloadDeps = {
    ...base,
    onTampered: (info) => logger.error("stored file does not match its recorded SHA-256; download refused", { ...info }),
  };
  return {
    upload: createAgentArtifactUpload({ db: deps.db, store: deps.store }),
    download: createArtifactDownload(deps),
    modelDownload: createModelDownload(deps),
    replicaFiles: createReplicaFiles({ db: deps.db, store: deps.store, onTampered: deps.onTampered }),
    studyExport: createStudyExport(deps),
  };
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
  services: ServerServices;
  site: Site;
  authSecret: string;
  env: TServerEnv;
  logger: AppLogger;
}): PlatformHandle {
  const { site, env, logger } = deps;
  const platform: PlatformHandle = {
    db: deps.db,
    events: deps.services.events,
    // model.register hashes trial files from the store before recording a version.
    artifacts: deps.services.artifacts,
    config: {
      authSecret: deps.authSecret,
      publicUrl: site.publicUrl,
      secureCookies: site.secureCookies,
      allowedOrigins: [...site.allowedOrigins],
      askLeaseMs: env.ASK_LEASE_MS,
      optimizerTimeoutMs: env.OPTIMIZER_TIMEOUT_MS,
      webhookAllowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    },
    // Inside the request's context: the line carries its request id, team and user.
    onInternalError: ({ path: procedure, error }) =>
      logger.error("internal error", { procedure, error: error instanceof Error ? errorText(error) : error }),
  };
  setPlatform(platform);
  return platform;
}

/** The run loop (agents, scheduler, serving reconciler), and the inference gateway's replica secrets from it. */
function startServerRunLoop(
  io: SocketIOServer,
  deps: {
    db: DbHandle;
    services: ServerServices;
    logger: AppLogger;
    env: TServerEnv;
    options: StartServerOptions;
    metrics: ReturnType<typeof serverMetricsOf>;
    authSecret: string;
    serve: ServeGateway;
  },
): ReturnType<typeof startRunLoop> {
  const runLoop = startRunLoop(io, {
    db: deps.db,
    publish: deps.services.events.publish,
    logger: deps.logger,
    config: { optimizerTimeoutMs: deps.env.OPTIMIZER_TIMEOUT_MS, ...deps.options.runLoop },
    onLeaseGranted: deps.metrics.metrics.onLeaseGranted,
    // Every server replica derives the same replica secrets from AUTH_SECRET.
    serverKey: deps.authSecret,
  });
  deps.serve.setSecretOf(runLoop.gateway.replicaSecretOf);
  return runLoop;
}

/** The team webhooks' sender, nudged whenever a study changes (a finished study queues its event in the same statement). */
function startServerWebhooks(deps: {
  db: DbHandle;
  authSecret: string;
  env: TServerEnv;
  site: Site;
  logger: AppLogger;
  metrics: ReturnType<typeof serverMetricsOf>;
  services: PlatformServices;
  options: StartServerOptions;
  platform: PlatformHandle;
}): WebhookSender {
  const sender = startWebhookSender({
    db: deps.db,
    authSecret: deps.authSecret,
    policy: { allowPrivateTargets: deps.env.WEBHOOK_ALLOW_PRIVATE_TARGETS, platformUrl: deps.site.publicUrl },
    logger: deps.logger,
    registry: deps.metrics.metrics.registry,
    options: deps.options.webhookSender,
  });
  deps.services.events.subscribe((event) => {
    if (event.type === "study:updated") sender.nudge();
  });
  deps.platform.nudgeWebhooks = sender.nudge;
  return sender;
}

/** The periodic work that needs the whole server up: the ask-lease sweeper, artifact retention, the spec's `register`. */
function startBackgroundWork(
  started: StartedParts,
  deps: {
    db: DbHandle;
    artifacts: ArtifactStore;
    env: TServerEnv;
    options: StartServerOptions;
    logger: AppLogger;
    metrics: ServerMetrics;
    services: ServerServices;
    platform: PlatformHandle;
  },
): void {
  const { db, artifacts, logger } = deps;
  started.sweeper = startLeaseSweeper(deps.services, deps.env.ASK_SWEEP_INTERVAL_MS, logger);
  started.retention = startRetention({ db, artifacts, env: deps.env, options: deps.options, logger, metrics: deps.metrics });
  started.autoRegister = startModelAutoRegister({
    db,
    artifacts,
    logger,
    publish: deps.services.events.publish,
    onQueued: () => deps.platform.nudgeWebhooks?.(),
  });
}

/** ARTIFACT_RETENTION_DAYS' hourly sweep (artifact-retention.ts), counted on /metrics. */
function startRetention(deps: {
  db: DbHandle;
  artifacts: ArtifactStore;
  env: TServerEnv;
  options: StartServerOptions;
  logger: AppLogger;
  metrics: ServerMetrics;
}): ArtifactRetention {
  return startArtifactRetention({
    db: deps.db,
    store: deps.artifacts,
    config: { days: deps.env.ARTIFACT_RETENTION_DAYS, ...DEFAULT_RETENTION, ...deps.options.artifactRetention },
    logger: deps.logger,
    onDeleted: (files, bytes) => deps.metrics.onArtifactsExpired(files, bytes),
  });
}

function startLeaseSweeper(services: PlatformServices, intervalMs: number, logger: AppLogger): NodeJS.Timeout {
  const sweeper = setInterval(() => {
    services.sweep().catch((err: unknown) => logger.error("lease sweep failed", { error: errorText(err) }));
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
  artifacts: ArtifactStore;
  webhooks: WebhookSender;
  serve: ServeGateway;
  web?: PreparedWebApp;
  sweeper?: NodeJS.Timeout;
  retention?: ArtifactRetention;
  autoRegister?: ModelAutoRegisterLoop;
  metricsListener?: HttpListener | undefined;
}

/** Stops what was started: no new work first (sweeper, run loop, sockets, port), the database last. */
async function shutdown(parts: StartedParts): Promise<void> {
  clearInterval(parts.sweeper);
  await parts.webhooks.stop();
  await parts.retention?.stop();
  await parts.autoRegister?.stop();
  await parts.runLoop.stop();
  await parts.socket.close();
  await parts.listener.close();
  await parts.serve.close();
  await parts.metricsListener?.close();
  await parts.web?.close().catch(() => {});
  await parts.cluster?.close().catch(() => {});
  setPlatform(undefined);
  await parts.closeDb();
  await parts.artifacts.close();
}

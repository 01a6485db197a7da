import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_BODY_BYTES } from "@autoglm/api";
import { pingDb, type DbHandle } from "@autoglm/db/client";
import { AGENT_ARTIFACTS_PREFIX } from "./agent-artifact-upload.js";
import { ARTIFACT_DOWNLOAD_PREFIX } from "./artifact-download.js";
import { MODEL_DOWNLOAD_PREFIX } from "./model-download.js";
import { REPLICA_FILES_PREFIX } from "./replica-files.js";
import { SERVE_PREFIX } from "./serving/serve-gateway.js";
import { STUDY_EXPORT_PREFIX } from "./study-export.js";
import { withinBodyLimit } from "./body-limit.js";
import { sendLiveness } from "./liveness.js";
import type { Logger } from "@autoglm/logging";
import { isAllowedOrigin } from "./origin.js";
import { inRequestContext } from "./request-context.js";
import { errorText } from "./server-logger.js";
import type { PlatformServices } from "./services.js";
import { emailFromSignInBody, readBody, replayRequest, sendJson } from "./sign-in-guard.js";

type THandle = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CLIENT_IP_HEADER = "x-autoglm-client-ip";
const PATH_HEADER = "x-autoglm-path";

/** The artifact routes (agent-artifact-upload.ts, artifact-download.ts, model-download.ts), ahead of Next and of the body limit. */
export interface ArtifactRoutes {
  upload(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
  download(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** A registered model version's file (model-download.ts). */
  modelDownload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** A model file for the agent running a serving replica (replica-files.ts). */
  replicaFiles?(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void>;
  /** A study's trials as CSV or JSON (study-export.ts), streamed like a download. */
  studyExport(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export interface RequestHandlerDeps {
  db: DbHandle;
  artifacts?: ArtifactRoutes;
  /** The inference gateway, `/serve/…` (serving/serve-gateway.ts). */
  serve?: { handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> };
  checkSignInLimit: PlatformServices["checkSignInLimit"];
  clientIpOf: (req: IncomingMessage) => string;
  logger: Logger;
}

/** What the handler needs once the dashboard is up: until then every page answers 503. */
export interface WebApp {
  next: THandle;
  allowedOrigins: Set<string>;
  publicUrl: string;
}

/**
 * Every HTTP request of the one port: /livez and /healthz, then the S5 origin check, the S7/S12 body
 * limit and the S6 sign-in limit in front of Next, each in its request context (request id,
 * access line). `serve` hands it the prepared Next app.
 */
export function createRequestHandler(deps: RequestHandlerDeps): {
  handle(req: IncomingMessage, res: ServerResponse): void;
  serve(web: WebApp): void;
} {
  let web: WebApp | undefined;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    // Inference streams both ways under its own 10 MB limit, from programs with an endpoint key
    // (no cookie): outside /api/, its origin check and the 1 MiB limit for parsed bodies. First,
    // as it is the one latency-bound route: nothing below concerns it.
    if (deps.serve && pathname.startsWith(SERVE_PREFIX)) return deps.serve.handle(req, res, pathname);
    // Only this server says who the client is; a client-sent value is dropped.
    delete req.headers[CLIENT_IP_HEADER];
    // The app layout's sign-in redirect returns here afterwards.
    req.headers[PATH_HEADER] = req.url ?? "/";
    if (pathname === "/livez") return sendLiveness(res);
    if (pathname === "/healthz") return sendHealth(res, await pingDb(deps.db), web !== undefined);
    // Uploads stream into the store (a 1 GB model never sits in memory), so they pass the
    // S7/S12 body limit, which bounds bodies that are parsed; they come from agents (a bearer
    // token, no cookie), outside /api/ and its origin check.
    if (deps.artifacts && pathname.startsWith(AGENT_ARTIFACTS_PREFIX)) return deps.artifacts.upload(req, res, pathname);
    if (deps.artifacts && pathname.startsWith(ARTIFACT_DOWNLOAD_PREFIX)) {
      return deps.artifacts.download(req, res, new URL(req.url ?? "/", "http://localhost"));
    }
    if (deps.artifacts && pathname.startsWith(MODEL_DOWNLOAD_PREFIX)) {
      return deps.artifacts.modelDownload(req, res, new URL(req.url ?? "/", "http://localhost"));
    }
    if (deps.artifacts && pathname.startsWith(STUDY_EXPORT_PREFIX) && pathname.endsWith("/export")) {
      return deps.artifacts.studyExport(req, res, new URL(req.url ?? "/", "http://localhost"));
    }
    if (deps.artifacts?.replicaFiles && pathname.startsWith(REPLICA_FILES_PREFIX)) {
      return deps.artifacts.replicaFiles(req, res, pathname);
    }
    if (!web) return sendStarting(req, res);
    const method = req.method ?? "GET";
    if (isCrossSiteWrite(req, method, pathname, web.allowedOrigins)) {
      return sendJson(res, 403, {
        error: { message: "cross-origin request refused", userMessage: "This request came from another site and was refused." },
      });
    }
    // S7/S12: the largest legitimate body (a YAML spec) is far below 1 MiB. Every body, chunked
    // or not, on every route, is counted as it arrives; past the limit: 413 and the connection
    // closes before anything parses it.
    const limited = await withinBodyLimit(req, res, MAX_BODY_BYTES);
    if (!limited) return;
    // Proxy-aware only through TRUSTED_PROXIES; a client-sent X-Forwarded-For is ignored.
    const ip = deps.clientIpOf(limited);
    if (method === "POST" && pathname === "/api/auth/callback/credentials") {
      return signInWithinLimit(limited, res, ip, web, deps.checkSignInLimit);
    }
    limited.headers[CLIENT_IP_HEADER] = ip;
    await web.next(limited, res);
  };
  return {
    handle: (req, res) =>
      inRequestContext(req, res, deps.logger, () => {
        route(req, res).catch((err: unknown) => {
          deps.logger.error("request failed", { error: errorText(err) });
          if (!res.headersSent)
            sendJson(res, 500, { error: { message: "Internal error", userMessage: "Something went wrong on our side." } });
          else res.destroy();
        });
      }),
    serve: (w) => {
      web = w;
    },
  };
}

function sendHealth(res: ServerResponse, dbOk: boolean, webReady: boolean): void {
  sendJson(res, dbOk && webReady ? 200 : 503, {
    ok: dbOk && webReady,
    db: dbOk ? "up" : "down",
    web: webReady ? "ready" : "starting",
  });
}

function sendStarting(req: IncomingMessage, res: ServerResponse): void {
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
}

/** S5: a browser on another site cannot make us change anything with the victim's cookie. */
function isCrossSiteWrite(req: IncomingMessage, method: string, pathname: string, allowedOrigins: Set<string>): boolean {
  if (!UNSAFE_METHODS.has(method) || !pathname.startsWith("/api/")) return false;
  const origin = req.headers.origin;
  return (origin !== undefined && !isAllowedOrigin(allowedOrigins, origin)) || req.headers["sec-fetch-site"] === "cross-site";
}

/** S6: next-auth's authorize callback cannot answer 429, so the sign-in limit is enforced here. */
async function signInWithinLimit(
  req: IncomingMessage,
  res: ServerResponse,
  ip: string,
  web: WebApp,
  checkSignInLimit: PlatformServices["checkSignInLimit"],
): Promise<void> {
  const body = await readBody(req);
  if (!body) {
    sendJson(res, 413, { error: { message: "body too large", userMessage: "The sign-in request was too large." } });
    return;
  }
  const email = emailFromSignInBody(body, req.headers["content-type"]);
  const limit = await checkSignInLimit({ email, ip });
  if (limit.limited) {
    const message = "Too many sign-in attempts. Wait a few minutes and try again.";
    sendJson(
      res,
      429,
      // `url` keeps next-auth/react's signIn() (which reads data.url) from throwing.
      { message, userMessage: message, error: "RateLimited", url: `${web.publicUrl}/signin?error=RateLimited` },
      { "retry-after": String(limit.retryAfterSeconds) },
    );
    return;
  }
  const replay = replayRequest(req, body);
  replay.headers[CLIENT_IP_HEADER] = ip;
  await web.next(replay, res);
}

import type { IncomingMessage, RequestListener } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "./router.js";
import { createContext, headerGetterOf, nodeHeaderGetter, type TApiDeps, type TSessionClaims } from "./context.js";
import { createCallerFactory } from "./trpc.js";
import { MAX_TRPC_BATCH_SIZE } from "@autoglm/protocol";

/** 1 MiB: the largest legitimate body (a YAML spec) is far smaller (S7). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Calls per tRPC batch (the dashboard's client splits its batches at the same size). */
export const MAX_BATCH_SIZE = MAX_TRPC_BATCH_SIZE;

/**
 * A 400 for a batch of more than MAX_BATCH_SIZE calls, saying the limit and the count
 * (tRPC's own answer is "Batch call exceeds maximum size"); null for anything else.
 */
export function batchTooLarge(url: string): { status: 400; body: unknown } | null {
  const q = url.indexOf("?");
  if (q < 0 || new URLSearchParams(url.slice(q + 1)).get("batch") !== "1") return null;
  const calls = url.slice(0, q).split(/,|%2c/i).length;
  if (calls <= MAX_BATCH_SIZE) return null;
  const userMessage = `A batch may hold at most ${MAX_BATCH_SIZE} calls; this one has ${calls}. Send fewer calls per request.`;
  return {
    status: 400,
    body: {
      error: {
        message: userMessage,
        code: -32600,
        data: { code: "BAD_REQUEST", httpStatus: 400, appCode: "BAD_REQUEST", userMessage },
      },
    },
  };
}

/**
 * A Node request listener serving the router at its root (`/trial.ask`, ...), API tokens
 * only (no cookies). The SDK's tests mount it with `http.createServer(handler)`; mount it
 * under `/api/trpc` by stripping that prefix, or use `basePath`.
 */
export function createStandaloneHandler(deps: TApiDeps, opts: { basePath?: string } = {}): RequestListener {
  const handler = createHTTPHandler({
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
    ...(opts.basePath ? { basePath: opts.basePath } : {}),
    createContext: ({ req }: { req: IncomingMessage }) =>
      createContext(deps, { header: nodeHeaderGetter(req.headers), clientIp: req.socket.remoteAddress ?? null }),
  } as Parameters<typeof createHTTPHandler<typeof appRouter>>[0]);
  return (req, res) => {
    const tooLarge = batchTooLarge(req.url ?? "/");
    if (!tooLarge) return handler(req, res);
    req.resume();
    res.writeHead(tooLarge.status, { "content-type": "application/json" }).end(JSON.stringify(tooLarge.body));
  };
}

/**
 * The Next.js route handler body (`app/api/trpc/[trpc]/route.ts`):
 *   export const GET = (req: Request) => handleTrpcFetch(req, { db, events, options, getSession });
 * `getSession` returns the `{ userId, sessionVersion, sessionId }` the web app decoded from the next-auth
 * JWT (or null); the API re-checks it against the database on every request (S4).
 */
export function handleTrpcFetch(
  req: Request,
  deps: TApiDeps & {
    getSession?: (req: Request) => Promise<TSessionClaims | null>;
    /** The client's address as the host determined it (per-client limits such as sign-up's). */
    getClientIp?: (req: Request) => string | null;
    endpoint?: string;
  },
): Promise<Response> {
  // Route handlers have no body limit of their own: refuse a declared oversize body before
  // reading it (the standalone adapter enforces MAX_BODY_BYTES while streaming).
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) {
    const userMessage = `The request is larger than ${MAX_BODY_BYTES} bytes.`;
    return Promise.resolve(
      Response.json(
        {
          error: {
            message: userMessage,
            code: -32600,
            data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, appCode: "PAYLOAD_TOO_LARGE", userMessage },
          },
        },
        { status: 413 },
      ),
    );
  }
  const tooLarge = batchTooLarge(req.url);
  if (tooLarge) return Promise.resolve(Response.json(tooLarge.body, { status: tooLarge.status }));
  return fetchRequestHandler({
    endpoint: deps.endpoint ?? "/api/trpc",
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () =>
      createContext(deps, {
        header: headerGetterOf(req.headers),
        getSession: deps.getSession ? () => deps.getSession!(req) : undefined,
        clientIp: deps.getClientIp?.(req) ?? null,
      }),
  });
}

/** The fetch-adapter context on its own, for hosts that call fetchRequestHandler themselves. */
export function createFetchContext(
  req: Request,
  deps: TApiDeps & { getSession?: (req: Request) => Promise<TSessionClaims | null> },
) {
  return createContext(deps, {
    header: headerGetterOf(req.headers),
    getSession: deps.getSession ? () => deps.getSession!(req) : undefined,
  });
}

export const createCaller = createCallerFactory(appRouter);

/**
 * In-process calls (server code, tests) acting as a user: no HTTP, so no CSRF check.
 * `session` is verified like a cookie session would be.
 */
export async function createServerCaller(deps: TApiDeps, who: { session?: TSessionClaims; token?: string; orgId?: string }) {
  const headers: Record<string, string> = {};
  if (who.token) headers.authorization = `Bearer ${who.token}`;
  if (who.orgId) headers["x-autoglm-org"] = who.orgId;
  const ctx = await createContext(deps, {
    header: nodeHeaderGetter(headers),
    getSession: who.session ? async () => who.session! : undefined,
    isHttp: false,
  });
  return createCaller(ctx);
}

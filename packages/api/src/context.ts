import type { DbHandle } from "@autoglm/db/client";
import { systemClock, type Clock } from "@autoglm/protocol";
import {
  findTokenByHash,
  findUserById,
  hitRateLimit,
  pruneRateLimits,
  touchTokenLastUsed,
  windowStartOf,
} from "@autoglm/db/queries";
import { annotateRequestContext } from "@autoglm/logging";
import { AppError, sanitizeError } from "./errors.js";
import type { TEventSink } from "./events.js";
import type { TArtifactReader } from "./artifact-reader.js";
import { hashApiToken, isWellFormedApiToken } from "@autoglm/protocol/api-token";
import type { TAuthenticatedUser } from "./auth/sessions.js";
import { verifySessionUser, type TSessionClaims } from "./auth/sessions.js";
import { DEFAULT_SIGN_UP_LIMIT, type TSignUpLimit } from "./auth/attempt-limits.js";
import type { TScalePoint } from "./endpoints/scaling-view.js";
import type { TWebhookTargetPolicy } from "./webhooks/webhook-target.js";

export type { TSessionClaims } from "./auth/sessions.js";

export interface TApiOptions {
  /**
   * Origins allowed to send cookie-authenticated mutations (S5), e.g. the dashboard's own
   * `http://localhost:3000`. Bearer-token calls are not cookie-borne and are exempt.
   */
  allowedOrigins: string[];
  /** Wall clock; tests shift it. */
  clock: Clock;
  /** Overrides the spec's `budget.lease_minutes` for ask-leases (ms); tests shrink it. */
  askLeaseMs?: number | undefined;
  /** Budget of one optimizer call (ask, pruner decision, importance) in ms; default 30 s. Tests shrink it. */
  optimizerTimeoutMs?: number | undefined;
  /** `api_tokens.last_used_at` is written at most this often per token (ms). Default 60 s. */
  tokenTouchThrottleMs: number;
  /** How long an invitation link stays valid (ms). Default 7 days. */
  inviteTtlMs: number;
  /**
   * Per-token request budget (S6c), counted in `rate_limits` so replicas share it: at most
   * `limit` requests per fixed `windowMs`. Default 3,000 per 10 s (300 req/s sustained): far
   * above an ask/tell loop or a CLI, below a runaway script. Load tests raise it; null: off.
   */
  tokenRateLimit: { limit: number; windowMs: number } | null;
  /** Sign-ups per client address (sliding window; see auth/attempt-limits.ts). null: off. */
  signUpLimit: TSignUpLimit | null;
  /**
   * Whether `auth.signUp` creates password accounts. Off where password sign-in is off (single
   * sign-on only): an account made there could never sign in. Default on.
   */
  passwordSignUp: boolean;
  /** The URL users reach the server at (PUBLIC_URL): endpoint URLs are built on it. Absent: endpoints show their path only. */
  publicUrl?: string | undefined;
  /** Webhooks (procedures/webhook): the key their secrets are sealed with and where they may point. Null: unavailable. */
  webhooks: TWebhookApiOptions | null;
  /** Called for unexpected (500) errors with a sanitized error (S10: no params, no headers): log it. */
  onInternalError?: ((info: { path: string; error: ReturnType<typeof sanitizeError> }) => void) | undefined;
  /** Told after every procedure call (the host's metrics): its path, kind, tRPC code ("OK" on success) and duration. */
  onProcedure?: ((call: TProcedureCall) => void) | undefined;
}

export interface TWebhookApiOptions extends TWebhookTargetPolicy {
  /** The server's AUTH_SECRET: webhook secrets are sealed with a key derived from it. */
  authSecret: string;
  /** Told when a procedure queued a delivery, so this process's sender runs now instead of at its next poll. */
  onQueued?: (() => void) | undefined;
}

export interface TProcedureCall {
  /** The router's procedure path, e.g. `study.list`: only procedures that exist get here. */
  path: string;
  type: "query" | "mutation" | "subscription";
  code: string;
  durationMs: number;
}

export function resolveApiOptions(partial: Partial<TApiOptions> = {}): TApiOptions {
  return {
    allowedOrigins: partial.allowedOrigins ?? [],
    clock: partial.clock ?? systemClock,
    askLeaseMs: partial.askLeaseMs,
    optimizerTimeoutMs: partial.optimizerTimeoutMs,
    tokenTouchThrottleMs: partial.tokenTouchThrottleMs ?? 60_000,
    inviteTtlMs: partial.inviteTtlMs ?? 7 * 24 * 3600_000,
    tokenRateLimit: partial.tokenRateLimit === undefined ? { limit: 3000, windowMs: 10_000 } : partial.tokenRateLimit,
    signUpLimit: partial.signUpLimit === undefined ? DEFAULT_SIGN_UP_LIMIT : partial.signUpLimit,
    passwordSignUp: partial.passwordSignUp ?? true,
    webhooks: partial.webhooks ?? null,
    publicUrl: partial.publicUrl,
    onInternalError: partial.onInternalError,
    onProcedure: partial.onProcedure,
  };
}

/**
 * The run loop's hooks: exactly the shapes of `@autoglm/scheduler`'s
 * `AgentGateway.stopTrial` / `stopStudyTrials`, so the host passes the gateway object itself.
 * Absent where no gateway runs in this process: agent trials are then ended in the database
 * and their agents learn it from their next heartbeat (a stale lease) instead of at once.
 */
export interface TRunLoopHooks {
  stopTrial(input: { orgId: string; trialId: string; reason?: string }): Promise<unknown>;
  stopStudyTrials(input: { orgId: string; studyId: string; reason?: string }): Promise<unknown>;
  /** An endpoint or an alias changed: the serving reconciler runs now instead of at its next tick. */
  servingChanged?(): void;
  /** The endpoint's recent load and replica counts from the reconciler's passes, oldest first (the page's chart). */
  endpointScaleHistory?(endpointId: string): TScalePoint[];
}

export interface TApiDeps {
  db: DbHandle;
  events: TEventSink;
  options?: Partial<TApiOptions>;
  runLoop?: TRunLoopHooks | undefined;
  /** The artifact store, where the host opened one: model registration reads trial files from it. */
  artifacts?: TArtifactReader | undefined;
}

export interface TTokenPrincipal {
  id: string;
  orgId: string;
  scopes: string[];
  projectId: string | null;
}

export type TPrincipal =
  { kind: "session"; user: TAuthenticatedUser } | { kind: "token"; user: TAuthenticatedUser; token: TTokenPrincipal };

/** What the HTTP layer saw; null for in-process callers (server code using createCaller). */
export interface TRequestInfo {
  origin: string | null;
  contentType: string | null;
  /** The client's address as the host determined it (proxy-aware only where configured). */
  clientIp: string | null;
}

export interface Context {
  db: DbHandle;
  events: TEventSink;
  options: TApiOptions;
  runLoop: TRunLoopHooks | null;
  artifacts: TArtifactReader | null;
  principal: TPrincipal | null;
  /** Set when credentials were presented but are not valid; every procedure then refuses. */
  authError: AppError | null;
  /** `x-autoglm-org`: the team a session acts in. */
  orgHeader: string | null;
  req: TRequestInfo | null;
}

export type THeaderGetter = (name: string) => string | null;

/**
 * Resolves who is calling. Never throws: bad credentials become `authError`, which the
 * procedure chain raises with the proper code (so even context failures are typed errors).
 */
export async function createContext(
  deps: TApiDeps,
  input: {
    header: THeaderGetter;
    getSession?: (() => Promise<TSessionClaims | null>) | undefined;
    /** False for in-process callers: no CSRF checks apply. Default true. */
    isHttp?: boolean;
    /** The client's address, for per-client limits (sign-up). */
    clientIp?: string | null | undefined;
  },
): Promise<Context> {
  const options = resolveApiOptions(deps.options);
  const ctx: Context = {
    db: deps.db,
    events: deps.events,
    options,
    runLoop: deps.runLoop ?? null,
    artifacts: deps.artifacts ?? null,
    principal: null,
    authError: null,
    orgHeader: input.header("x-autoglm-org"),
    req:
      input.isHttp === false
        ? null
        : { origin: input.header("origin"), contentType: input.header("content-type"), clientIp: input.clientIp ?? null },
  };
  const authorization = input.header("authorization");
  try {
    if (authorization) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!m) {
        ctx.authError = new AppError("TOKEN_INVALID", { userMessage: "The Authorization header must be `Bearer agl_…`." });
      } else {
        const r = await resolveApiToken(deps.db, m[1]!, options);
        if (r instanceof AppError) ctx.authError = r;
        else ctx.principal = r;
      }
    } else if (input.getSession) {
      const claims = await input.getSession();
      if (claims) {
        const user = await verifySessionUser(deps.db, claims, { now: options.clock.now() });
        if (user) ctx.principal = { kind: "session", user };
        else {
          ctx.authError = new AppError("SESSION_ENDED", {
            userMessage: "Your session has ended (signed out, password changed or account deactivated). Sign in again.",
          });
        }
      }
    }
    // The host's log lines for this request (and the database work it causes) carry who asked.
    if (ctx.principal) {
      const p = ctx.principal;
      annotateRequestContext({ userId: p.user.id, ...(p.kind === "token" ? { teamId: p.token.orgId } : {}) });
    }
  } catch (error) {
    options.onInternalError?.({ path: "(context)", error: sanitizeError(error) });
    ctx.authError = new AppError("INTERNAL", { userMessage: "Something went wrong on our side; please retry." });
  }
  return ctx;
}

/**
 * Bearer token → principal (S3). The checksum is verified first, so a typo never reaches
 * the database; then the sha256 is looked up; revoked, expired and deactivated-owner tokens
 * are refused at once. `last_used_at` is written at most once per throttle window.
 */
export async function resolveApiToken(
  db: DbHandle,
  raw: string,
  options: Pick<TApiOptions, "clock" | "tokenTouchThrottleMs"> & Partial<Pick<TApiOptions, "tokenRateLimit">>,
): Promise<TPrincipal | AppError> {
  if (!isWellFormedApiToken(raw)) {
    return new AppError("TOKEN_INVALID", {
      userMessage: "This API token is malformed (its checksum does not match); copy it again from the dashboard.",
    });
  }
  const row = await findTokenByHash(db.db, hashApiToken(raw));
  if (!row) return new AppError("TOKEN_INVALID", { userMessage: "This API token is not valid." });
  const now = options.clock.now();
  if (row.revokedAt) return new AppError("TOKEN_INVALID", { userMessage: "This API token was revoked." });
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
    return new AppError("TOKEN_INVALID", { userMessage: "This API token has expired; create a new one in the dashboard." });
  }
  const user = await findUserById(db.db, row.userId);
  if (!user || user.disabledAt) return new AppError("TOKEN_INVALID", { userMessage: "This API token is not valid." });
  if (options.tokenRateLimit) {
    const { limit, windowMs } = options.tokenRateLimit;
    const windowStart = windowStartOf(now, windowMs);
    const used = await hitRateLimit(db.db, { key: `token:${row.id}`, windowStart });
    // Old windows are garbage; about one request in 1,000 sweeps them.
    if (Math.random() < 0.001) await pruneRateLimits(db.db, new Date(windowStart.getTime() - 15 * 60_000));
    if (used > limit) {
      const seconds = Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000));
      return new AppError("RATE_LIMITED", {
        userMessage: `This API token made more than ${limit} requests in ${Math.round(windowMs / 1000)} s; retry in ${seconds} s.`,
      });
    }
  }
  await touchTokenLastUsed(db.db, { id: row.id, now, throttleMs: options.tokenTouchThrottleMs });
  return {
    kind: "token",
    user: { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion },
    token: { id: row.id, orgId: row.orgId, scopes: row.scopes, projectId: row.projectId },
  };
}

export function headerGetterOf(headers: Headers): THeaderGetter {
  return (name) => headers.get(name);
}

export function nodeHeaderGetter(headers: Record<string, string | string[] | undefined>): THeaderGetter {
  return (name) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  };
}

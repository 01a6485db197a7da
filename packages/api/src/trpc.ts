import { initTRPC, TRPCError } from "@trpc/server";
import { findMembership, ROLE_RANK, type TenantScope, type TRole, isUuid } from "@autoglm/db/queries";
import type { Context, TPrincipal } from "./context.js";
import { AppError, sanitizeError, toAppError } from "./errors.js";
import { capMessage, findNul, NUL_MESSAGE } from "@autoglm/protocol";
import { annotateRequestContext } from "@autoglm/logging";

/** Turns a zod error into one sentence naming the field(s): `space.lr.low: must be > 0 when log is true`. */
export function describeZodIssues(
  issues: Array<{ path: (string | number)[]; message: string; code?: string; options?: unknown[] }>,
): string {
  const parts = issues.slice(0, 3).map((i) => {
    // zod's enum message quotes the received value; a pasted secret must not echo back (S10).
    const message = i.code === "invalid_enum_value" && i.options ? `must be one of ${i.options.join(", ")}` : i.message;
    // The study spec travels as `spec`; its errors read like the YAML the user wrote.
    const path = i.path[0] === "spec" && i.path.length > 1 ? i.path.slice(1) : i.path;
    // Paths and messages can quote a user's key or value: each part is capped (S7).
    return capMessage(path.length ? `${path.join(".")}: ${message}` : message, 300);
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return parts.join("; ") + more;
}

function zodIssuesOf(err: unknown): Array<{ path: (string | number)[]; message: string }> | null {
  const issues = (err as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? (issues as Array<{ path: (string | number)[]; message: string }>) : null;
}

const t = initTRPC.context<Context>().create({
  // Never a stack on the wire, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    let appCode: string;
    let userMessage: string;
    let message = shape.message;
    const issues = zodIssuesOf(error.cause);
    if (error instanceof AppError) {
      appCode = error.appCode;
      userMessage = error.userMessage;
    } else if (error.code === "BAD_REQUEST" && issues) {
      appCode = "BAD_REQUEST";
      userMessage = describeZodIssues(issues);
      message = userMessage;
    } else if (error.code === "INTERNAL_SERVER_ERROR") {
      appCode = "INTERNAL";
      userMessage = "Something went wrong on our side; please retry.";
      message = userMessage; // the raw message may quote SQL or internals
    } else {
      appCode = error.code;
      userMessage = error.message;
    }
    const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: string };
    return { ...shape, message, data: { ...data, appCode, userMessage } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Times every call, whatever the middlewares below decide, for the host's metrics. */
const timed = t.procedure.use(async ({ ctx, type, path, next }) => {
  const start = performance.now();
  const res = await next();
  ctx.options.onProcedure?.({ path, type, code: res.ok ? "OK" : res.error.code, durationMs: performance.now() - start });
  return res;
});

/**
 * Every procedure starts here (after the timing): maps lower-layer errors to AppError once, raises a bad
 * credential found by the context, and applies the CSRF rule (S5) to mutations.
 */
const base = timed.use(async ({ ctx, type, path, next, getRawInput }) => {
  if (ctx.authError) throw ctx.authError;
  if (type === "mutation" && ctx.req && ctx.principal?.kind !== "token") {
    const ct = ctx.req.contentType?.split(";")[0]?.trim().toLowerCase();
    if (ct !== "application/json") {
      throw new AppError("CSRF_REJECTED", { userMessage: "Changes must be sent as application/json." });
    }
    const origin = ctx.req.origin;
    const allowed = origin !== null && ctx.options.allowedOrigins.includes(origin);
    // A cookie session needs a same-origin Origin; a credential-less call (sign-up from a
    // script) may omit it, but a foreign one is refused either way.
    if ((ctx.principal?.kind === "session" && !allowed) || (origin !== null && !allowed)) {
      throw new AppError("CSRF_REJECTED", { userMessage: "This request came from another site and was refused." });
    }
  }
  // PostgreSQL cannot store NUL in text or jsonb: refuse it in any input, naming the field,
  // before a query fails on it halfway through a procedure.
  const nulAt = findNul(await getRawInput());
  if (nulAt) {
    const path = nulAt.length ? nulAt.map((p) => String(p).replaceAll("\u0000", "\\u0000")) : ["input"];
    throw new AppError("BAD_REQUEST", { userMessage: capMessage(describeZodIssues([{ path, message: NUL_MESSAGE }])) });
  }
  const res = await next();
  if (!res.ok) {
    const mapped = toAppError(res.error instanceof AppError ? res.error : res.error.cause);
    if (mapped && mapped !== res.error) throw mapped;
    if (!mapped && res.error.code === "INTERNAL_SERVER_ERROR") {
      ctx.options.onInternalError?.({ path, error: sanitizeError(res.error.cause ?? res.error) });
    }
  }
  return res;
});

export const publicProcedure = base;

function requirePrincipal(p: TPrincipal | null): TPrincipal {
  if (!p) throw new AppError("UNAUTHORIZED", { userMessage: "Sign in (or send an API token) first." });
  return p;
}

function requireScope(p: TPrincipal, need: "read" | "write" | "none"): void {
  if (p.kind !== "token") return;
  if (need === "none") {
    throw new AppError("SCOPE_MISSING", { userMessage: "API tokens cannot do this; use the dashboard." });
  }
  const s = p.token.scopes;
  // write implies read: a program that tells results also reads the best value.
  const ok = need === "read" ? s.includes("read") || s.includes("write") : s.includes("write");
  if (!ok) throw new AppError("SCOPE_MISSING", { userMessage: `This API token lacks the "${need}" scope.` });
}

export type TTokenRule = "read" | "write" | "none";

/** Any signed-in caller; `tokens` says whether an API token may call it and with which scope. */
export function protectedProcedure(opts: { tokens: TTokenRule | "auto" } = { tokens: "none" }) {
  return base.use(async ({ ctx, type, next }) => {
    const principal = requirePrincipal(ctx.principal);
    requireScope(principal, opts.tokens === "auto" ? (type === "query" ? "read" : "write") : opts.tokens);
    return next({ ctx: { ...ctx, principal, actor: actorOf(principal) } });
  });
}

export function actorOf(p: TPrincipal): { userId: string; tokenId: string | null } {
  return { userId: p.user.id, tokenId: p.kind === "token" ? p.token.id : null };
}

/**
 * The ONE place that decides tenancy and role. The team is the token's for API tokens and
 * the `x-autoglm-org` header's for sessions; a team the caller is not in answers exactly
 * like a team that does not exist. The procedure gets a `scope` every query takes.
 */
export function orgProcedure(minRole: TRole, opts: { tokens?: TTokenRule | "auto" } = {}) {
  const tokens = opts.tokens ?? "auto";
  return base.use(async ({ ctx, type, next }) => {
    const principal = requirePrincipal(ctx.principal);
    requireScope(principal, tokens === "auto" ? (type === "query" ? "read" : "write") : tokens);
    let orgId: string;
    if (principal.kind === "token") {
      orgId = principal.token.orgId;
    } else {
      if (!ctx.orgHeader) {
        throw new AppError("TEAM_REQUIRED", { userMessage: "Choose a team first (the x-autoglm-org header is missing)." });
      }
      orgId = ctx.orgHeader;
    }
    const membership = isUuid(orgId) ? await findMembership(ctx.db.db, { orgId, userId: principal.user.id }) : null;
    if (!membership) {
      if (principal.kind === "token") {
        throw new AppError("TOKEN_INVALID", { userMessage: "This API token's owner is no longer a member of its team." });
      }
      throw new AppError("NOT_FOUND", { userMessage: "Team not found." });
    }
    if (ROLE_RANK[membership.role] < ROLE_RANK[minRole]) {
      throw new AppError("ROLE_TOO_LOW", {
        userMessage: `Your role in this team (${membership.role}) cannot do this; it needs ${minRole} or above.`,
      });
    }
    annotateRequestContext({ teamId: orgId });
    const scope: TenantScope = {
      orgId,
      projectId: principal.kind === "token" ? principal.token.projectId : null,
    };
    return next({
      ctx: { ...ctx, principal, actor: actorOf(principal), org: { id: orgId, role: membership.role }, scope },
    });
  });
}

export { TRPCError };

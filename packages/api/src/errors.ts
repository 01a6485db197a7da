import { TRPCError } from "@trpc/server";
import { SchedulerError } from "@autoglm/scheduler";
import { OptimizerError } from "@autoglm/optimizer";

/**
 * The one error type of the API. `code` is ours (UPPER_SNAKE, stable for clients); the tRPC
 * code (and so the HTTP status) is derived from it HERE and nowhere else. `userMessage` is
 * a sentence the dashboard and CLI show as is; `message` may carry more detail for logs.
 */
export const APP_CODES = {
  BAD_REQUEST: "BAD_REQUEST",
  INVALID_SPEC: "BAD_REQUEST",
  VALUE_REQUIRED: "BAD_REQUEST",
  /** Params that do not fit the study's space (an enqueued trial); the message names the parameter. */
  INVALID_PARAMS: "BAD_REQUEST",
  TEAM_REQUIRED: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  INVALID_CREDENTIALS: "UNAUTHORIZED",
  /** A password was given for an account that signs in through the identity provider (OIDC). */
  SSO_ACCOUNT: "UNAUTHORIZED",
  /** The identity provider vouched for someone this platform will not sign in (see auth/oidc.ts). */
  SSO_REFUSED: "FORBIDDEN",
  SESSION_ENDED: "UNAUTHORIZED",
  TOKEN_INVALID: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  ROLE_TOO_LOW: "FORBIDDEN",
  SCOPE_MISSING: "FORBIDDEN",
  CSRF_REJECTED: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  LAST_OWNER: "CONFLICT",
  STUDY_NOT_RUNNING: "CONFLICT",
  STUDY_EXISTS: "CONFLICT",
  STUDY_SPACE_CHANGED: "CONFLICT",
  TRIAL_NOT_RUNNING: "CONFLICT",
  TRIAL_LEASED_TO_AGENT: "CONFLICT",
  INVITE_UNUSABLE: "CONFLICT",
  /** A model name that differs from an existing one only in case, or is taken outside a token's project. */
  MODEL_NAME_TAKEN: "CONFLICT",
  /** A model version an alias points at cannot be deleted. */
  MODEL_VERSION_ALIASED: "CONFLICT",
  /** The team already has an endpoint of that name (names are unique regardless of case). */
  ENDPOINT_NAME_TAKEN: "CONFLICT",
  /** The endpoint's alias names no version of the model, or a study has no best trial to deploy. */
  NOTHING_TO_SERVE: "PRECONDITION_FAILED",
  /** A model version of a flavor no replica can load (`files`: nothing says how to load them). */
  MODEL_NOT_SERVABLE: "PRECONDITION_FAILED",
  /** A stored file no longer matches the SHA-256 recorded when it was uploaded (the store was changed). */
  ARTIFACT_TAMPERED: "CONFLICT",
  /** The trial (attempt) has no uploaded files to register. */
  NO_ARTIFACTS: "BAD_REQUEST",
  /** This server has no artifact store to read files from. */
  ARTIFACT_STORE_MISSING: "PRECONDITION_FAILED",
  /** A webhook URL that is not http(s) or points where webhooks may not go (WEBHOOK_ALLOW_PRIVATE_TARGETS). */
  WEBHOOK_TARGET_REFUSED: "BAD_REQUEST",
  /** The API was started without the server's key (AUTH_SECRET), which webhook secrets are sealed with. */
  WEBHOOKS_UNAVAILABLE: "PRECONDITION_FAILED",
  STUDY_BUDGET_EXHAUSTED: "PRECONDITION_FAILED",
  MAX_PARALLEL_REACHED: "PRECONDITION_FAILED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** The study's optimizer ran past its time budget (the server stopped it; nothing stored). */
  OPTIMIZER_TIMEOUT: "GATEWAY_TIMEOUT",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<string, TRPCError["code"]>;

export type TAppCode = keyof typeof APP_CODES;

export class AppError extends TRPCError {
  readonly appCode: TAppCode;
  readonly userMessage: string;
  constructor(code: TAppCode, opts: { message?: string; userMessage: string; cause?: unknown }) {
    super({ code: APP_CODES[code], message: opts.message ?? opts.userMessage, cause: opts.cause });
    this.name = "AppError";
    this.appCode = code;
    this.userMessage = opts.userMessage;
  }
}

/** Forbidden and missing answer the same (S1): one constructor so the words cannot drift. */
export function notFound(
  what:
    | "Study"
    | "Trial"
    | "Project"
    | "Team"
    | "Token"
    | "Invitation"
    | "Member"
    | "Model"
    | "Model version"
    | "Webhook"
    | "Webhook delivery"
    | "Endpoint"
    | "Endpoint key",
): AppError {
  return new AppError("NOT_FOUND", { userMessage: `${what} not found.` });
}

function pgCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Maps errors of the layers below (scheduler, optimizer, Postgres) to AppError; null if unknown. */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof SchedulerError) {
    const code: TAppCode = err.code === "INVALID_SPEC" ? "INVALID_SPEC" : err.code;
    return new AppError(code, { userMessage: err.userMessage });
  }
  if (err instanceof OptimizerError) {
    return new AppError("INVALID_SPEC", { userMessage: err.message });
  }
  const pg = pgCodeOf(err);
  if (pg === "23505") return new AppError("CONFLICT", { userMessage: "That name is already taken; choose another." });
  if (pg === "23503") return new AppError("NOT_FOUND", { userMessage: "A referenced item no longer exists." });
  // Class 22: data exceptions (NUL bytes in text, numbers out of range, bad jsonb escapes).
  if (pg?.startsWith("22")) {
    return new AppError("BAD_REQUEST", {
      userMessage: "A value in the request cannot be stored (out of range or containing a NUL character).",
    });
  }
  return null;
}

/**
 * What may be logged of an unexpected error (S10): its name, code and first message line,
 * with drizzle's "params:" section (which can hold password hashes) cut off. Never the
 * request, never headers.
 */
export function sanitizeError(err: unknown): { name: string; code?: string; message: string; cause?: string } {
  const clean = (m: unknown) =>
    String(m ?? "")
      .split(/\nparams:/)[0]!
      .slice(0, 500);
  const e = err as { name?: string; message?: string; cause?: { message?: string } } | null;
  const pg = pgCodeOf(err);
  return {
    name: String(e?.name ?? "Error"),
    ...(pg ? { code: pg } : {}),
    message: clean(e?.message),
    ...(e?.cause?.message ? { cause: clean(e.cause.message) } : {}),
  };
}

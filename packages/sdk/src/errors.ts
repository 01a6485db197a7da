import { TRPCClientError } from "@trpc/client";

/**
 * The one error the SDK throws. `message` is a sentence a person can read (the server's
 * `userMessage` where it sent one); `code` is the server's app code (`STUDY_NOT_FOUND`,
 * `LEASE_EXPIRED`, …) or, failing that, the tRPC code (`UNAUTHORIZED`, `BAD_REQUEST`), or
 * one of the SDK's own: `INVALID_SPEC`, `INVALID_YAML`, `UNREACHABLE`, `BAD_RESPONSE`,
 * `CONFIG`, `USAGE`.
 */
export class AutoglmError extends Error {
  override readonly name = "AutoglmError";
  readonly code: string;
  /** The tRPC code (`NOT_FOUND`, `UNAUTHORIZED`, …) when the error came from the server. */
  readonly trpcCode: string | undefined;
  readonly httpStatus: number | undefined;
  /** The sentence the server meant a person to read, when it sent one. */
  readonly userMessage: string;
  /** Field-level problems (`{ path: "space.lr.low", message }`) for spec errors. */
  readonly issues: { path: string; message: string }[] | undefined;

  constructor(
    code: string,
    userMessage: string,
    opts: {
      trpcCode?: string;
      httpStatus?: number;
      issues?: { path: string; message: string }[];
      cause?: unknown;
    } = {},
  ) {
    super(userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.userMessage = userMessage;
    this.trpcCode = opts.trpcCode;
    this.httpStatus = opts.httpStatus;
    this.issues = opts.issues;
  }

  /** True when the server did not accept the credentials (missing, mistyped, revoked or expired token). */
  get isAuthError(): boolean {
    return this.trpcCode === "UNAUTHORIZED" || this.httpStatus === 401;
  }
}

export function isAutoglmError(err: unknown): err is AutoglmError {
  return err instanceof AutoglmError;
}

interface ServerErrorData {
  code?: unknown;
  httpStatus?: unknown;
  userMessage?: unknown;
  appCode?: unknown;
  issues?: unknown;
}

/**
 * Turns whatever a call threw into an `AutoglmError`. `server` is only used to say which
 * server could not be reached; it never carries the token.
 */
export function toAutoglmError(err: unknown, server?: string): AutoglmError {
  if (err instanceof AutoglmError) return err;
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? undefined) as ServerErrorData | undefined;
    const response = (err.meta as { response?: { status?: number } } | undefined)?.response;
    const httpStatus =
      typeof data?.httpStatus === "number" ? data.httpStatus : typeof response?.status === "number" ? response.status : undefined;
    if (data && (typeof data.code === "string" || typeof data.userMessage === "string")) {
      const trpcCode = typeof data.code === "string" ? data.code : undefined;
      const appCode = typeof data.appCode === "string" ? data.appCode : undefined;
      const text = typeof data.userMessage === "string" && data.userMessage ? data.userMessage : err.message;
      const issues = Array.isArray(data.issues) ? (data.issues as { path: string; message: string }[]) : undefined;
      return new AutoglmError(appCode ?? trpcCode ?? "SERVER_ERROR", text, {
        ...(trpcCode ? { trpcCode } : {}),
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(issues ? { issues } : {}),
        cause: err,
      });
    }
    const network = describeNetworkFailure(err.cause);
    if (network) {
      return new AutoglmError("UNREACHABLE", `cannot reach ${server ?? "the server"}: ${network}`, { cause: err });
    }
    // A response that is not tRPC JSON: a wrong URL, a proxy's error page, another service.
    const where = server ? ` from ${server}` : "";
    const status = httpStatus !== undefined ? ` (HTTP ${httpStatus})` : "";
    return new AutoglmError("BAD_RESPONSE", `unexpected response${where}${status}; is --server the Open-AutoGLM base URL?`, {
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      cause: err,
    });
  }
  const network = describeNetworkFailure(err);
  if (network) return new AutoglmError("UNREACHABLE", `cannot reach ${server ?? "the server"}: ${network}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new AutoglmError("INTERNAL", message, { cause: err });
}

/** `fetch failed` hides the reason in `cause`; dig out ECONNREFUSED / ENOTFOUND / timeouts. */
function describeNetworkFailure(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
    if (typeof e.code === "string") {
      switch (e.code) {
        case "ECONNREFUSED":
          return "connection refused";
        case "ENOTFOUND":
        case "EAI_AGAIN":
          return "host not found";
        case "ECONNRESET":
          return "connection reset";
        case "ETIMEDOUT":
        case "UND_ERR_CONNECT_TIMEOUT":
          return "connection timed out";
        default:
          if (e.code.startsWith("ERR_TLS") || e.code.includes("CERT")) return `TLS error (${e.code})`;
      }
    }
    if (e.name === "TimeoutError") return "request timed out";
    if (e.message === "fetch failed") {
      const inner = e.cause as { code?: unknown; message?: unknown } | undefined;
      if (!inner) return "network error";
      if (typeof inner.code !== "string" && !(inner as { cause?: unknown }).cause) {
        return `network error (${String(inner.message ?? inner)})`;
      }
    }
    cur = e.cause;
  }
  return undefined;
}

/**
 * The one error type of the artifact store, with a code saying whose fault it was:
 *   INVALID_NAME / INVALID_KEY  the caller's name or key is refused (nothing was touched)
 *   CONFIG                      ARTIFACT_STORE (or the S3 settings) cannot be used
 *   NOT_FOUND                   no object under that key
 *   SIZE_MISMATCH / SHA256_MISMATCH  the upload was not what its sender announced; nothing was stored
 *   INVALID_ARGUMENT            a byte range or presign lifetime that is not one
 *   UNAVAILABLE                 the store did not answer or refused us (check(), I/O)
 * Messages never contain credentials.
 */
export type TArtifactErrorCode =
  | "INVALID_NAME"
  | "INVALID_KEY"
  | "CONFIG"
  | "NOT_FOUND"
  | "SIZE_MISMATCH"
  | "SHA256_MISMATCH"
  | "INVALID_ARGUMENT"
  | "UNAVAILABLE";

export class ArtifactStoreError extends Error {
  override readonly name = "ArtifactStoreError";
  constructor(
    readonly code: TArtifactErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A short, printable form of a caller's string for an error message (escaped, at most 300 characters). */
export function quoted(value: string): string {
  const shown = value.length > 300 ? `${value.slice(0, 300)}…` : value;
  return JSON.stringify(shown);
}

/** `err.message` for unknown throwables, with a Node error's code when it has one (ENOENT, ECONNREFUSED). */
export function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const parts = [
    err.name !== "Error" ? err.name : "",
    code && !err.message.includes(code) ? code : "",
    status ? `HTTP ${status}` : "",
  ];
  const head = parts.filter(Boolean).join(", ");
  const message = err.message && err.message !== "UnknownError" ? err.message : "";
  return [head, message].filter(Boolean).join(": ") || "unknown error";
}

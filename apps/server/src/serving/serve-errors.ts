import type { ServerResponse } from "node:http";

/**
 * The gateway's own refusals in the error shape of the protocol the client speaks, so an
 * MLflow, KServe or OpenAI client shows them as it shows the model's errors: KServe v2 under
 * `/v2/` (`{"error": …}`), OpenAI under `/v1/` (`{"error": {message, type, code}}`), MLflow
 * scoring otherwise (`{"error_code", "message"}`). Never model output (S11).
 */
export function sendServeError(
  res: ServerResponse,
  rest: string,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  let body: unknown;
  if (rest.startsWith("/v2/") || rest === "/v2") body = { error: message };
  else if (rest.startsWith("/v1/") || rest === "/v1") body = { error: { message, type: typeOf(status), code } };
  else body = { error_code: code, message };
  const text = JSON.stringify(body);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 413 || status === 400 || status === 404) return "invalid_request_error";
  return "server_error";
}

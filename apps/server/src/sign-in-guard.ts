import { IncomingMessage, type ServerResponse } from "node:http";

/** The sign-in form is tiny; anything larger is not a sign-in attempt. */
const MAX_SIGN_IN_BODY = 16 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_SIGN_IN_BODY): Promise<Buffer | null> {
  // Plain listeners, not `for await`: the async iterator destroys the request when it
  // finishes, and destroying an IncomingMessage closes the socket the response needs.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A fresh IncomingMessage carrying an already-read body, so Next can parse the request the
 * custom server had to read first (to find the email for the per-account limit).
 */
export function replayRequest(original: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new IncomingMessage(original.socket);
  copy.method = original.method;
  copy.url = original.url;
  copy.httpVersion = original.httpVersion;
  copy.httpVersionMajor = original.httpVersionMajor;
  copy.httpVersionMinor = original.httpVersionMinor;
  copy.headers = { ...original.headers, "content-length": String(body.length) };
  delete copy.headers["transfer-encoding"];
  const raw: string[] = [];
  for (const [k, v] of Object.entries(copy.headers)) {
    if (Array.isArray(v)) for (const item of v) raw.push(k, item);
    else if (v !== undefined) raw.push(k, v);
  }
  copy.rawHeaders = raw;
  // The whole message is here: without `complete`, destroying the copy after its body is
  // read counts as an abort, and IncomingMessage then destroys the shared socket.
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}

/** The email in a next-auth credentials POST (form-encoded by next-auth/react, or JSON). */
export function emailFromSignInBody(body: Buffer, contentType: string | undefined): string | undefined {
  const text = body.toString("utf8");
  try {
    if (contentType?.includes("application/json")) {
      const parsed = JSON.parse(text) as { email?: unknown };
      return typeof parsed.email === "string" ? parsed.email : undefined;
    }
    return new URLSearchParams(text).get("email") ?? undefined;
  } catch {
    return undefined;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

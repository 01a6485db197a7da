import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { sendJson } from "./sign-in-guard.js";

/** A stored file as its row records it. */
export interface TRecordedFile {
  name: string;
  sizeBytes: number;
  sha256: string;
}

/** What a refused download reports (S10: names and hashes only, no credentials). */
export interface TTamperedFile {
  name: string;
  expectedSha256: string;
  receivedSha256: string | null;
  receivedBytes: number;
  /** Whether some bytes had already gone out (then the connection was cut). */
  partial: boolean;
}

/** tRPC codes of the api's refusals, as HTTP statuses (anything else is a 500). */
const STATUS_OF: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
};

/** Answers an api refusal (AppError) with its status and sentence; false for anything else (the caller rethrows). */
export function sendApiRefusal(res: ServerResponse, err: unknown): boolean {
  const status = STATUS_OF[(err as { code?: string }).code ?? ""];
  if (!status) return false;
  const message = (err as { userMessage?: string }).userMessage ?? (err as Error).message;
  sendJson(res, status, { error: { code: (err as { appCode?: string }).appCode ?? "BAD_REQUEST", message } });
  return true;
}

/** "a/b c.txt" → `attachment; filename="b c.txt"; filename*=UTF-8''b%20c.txt` (RFC 6266), quotes and controls dropped. */
export function dispositionOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  // Only printable ASCII without quotes or backslashes goes in the quoted form.
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/** Resolves when the response can take more bytes; false when the client went away first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

/**
 * Streams a stored file while hashing it, and never lets a changed file arrive whole: the last
 * chunk is held back until the SHA-256 of everything matches the recorded one. On a mismatch
 * the connection is destroyed (the client sees an aborted transfer, short of the length it was
 * promised). A file that fits one chunk (the local store reads 64 KiB at a time) is checked
 * before any byte is sent and answers 409 naming the file. No Range support: a range could not
 * be verified without reading the whole file.
 */
export async function sendVerifiedFile(
  res: ServerResponse,
  body: Readable,
  file: TRecordedFile,
  onTampered: (info: TTamperedFile) => void,
): Promise<void> {
  const hash = createHash("sha256");
  let held: Buffer | null = null;
  let received = 0;
  let started = false;
  const tampered = (receivedSha256: string | null) => {
    onTampered({ name: file.name, expectedSha256: file.sha256, receivedSha256, receivedBytes: received, partial: started });
    body.destroy();
    if (started) res.destroy();
    else {
      sendJson(res, 409, {
        error: {
          code: "ARTIFACT_TAMPERED",
          message: `File "${file.name}" no longer matches its recorded SHA-256 (the artifact store was changed); it is not served.`,
        },
      });
    }
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > file.sizeBytes) return tampered(null);
    if (held) {
      if (!started) {
        started = true;
        res.writeHead(200, headersOf(file));
      }
      hash.update(held);
      if (!res.write(held) && !(await drained(res))) return void body.destroy();
    }
    held = chunk;
  }
  if (held) hash.update(held);
  const digest = hash.digest("hex");
  if (received !== file.sizeBytes || digest !== file.sha256) return tampered(digest);
  if (!started) res.writeHead(200, headersOf(file));
  res.end(held ?? undefined);
}

function headersOf(file: TRecordedFile): Record<string, string> {
  return {
    "content-type": "application/octet-stream",
    "content-length": String(file.sizeBytes),
    "content-disposition": dispositionOf(file.name),
    "x-autoglm-sha256": file.sha256,
    "x-content-type-options": "nosniff",
    "cache-control": "private, no-store",
  };
}

/** `sendVerifiedFile` from the store; an object missing from the store is refused like a changed one. */
export async function sendStoredFile(
  res: ServerResponse,
  store: { get(key: string): Promise<Readable> },
  file: TRecordedFile & { storeKey: string },
  onTampered: (info: TTamperedFile) => void,
): Promise<void> {
  let body: Readable;
  try {
    body = await store.get(file.storeKey);
  } catch (err) {
    if ((err as { code?: string }).code !== "NOT_FOUND") throw err;
    onTampered({ name: file.name, expectedSha256: file.sha256, receivedSha256: null, receivedBytes: 0, partial: false });
    return sendJson(res, 409, {
      error: {
        code: "ARTIFACT_TAMPERED",
        message: `File "${file.name}" is missing from the artifact store; it cannot be served.`,
      },
    });
  }
  await sendVerifiedFile(res, body, file, onTampered);
}

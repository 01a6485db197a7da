// A study's trials as CSV or JSON from the platform's export route, streamed to a file or a
// writer: a 100,000-trial export (tens of MB) never sits in memory here either.
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AutoglmError } from "./errors.js";
import type { TDownloadTransport } from "./model-download.js";

export type TExportFormat = "csv" | "json";

export interface TExportProgress {
  /** Trials received so far: counted by line (one trial per line in both formats). */
  trials: number;
  /** The study's trial count as the server read it when the export began. */
  total: number;
  bytes: number;
}

export interface TExportOptions {
  onProgress?: (p: TExportProgress) => void;
  signal?: AbortSignal;
}

async function refusalOf(res: Response, studyId: string): Promise<AutoglmError> {
  let code = `HTTP_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not our JSON (a proxy's page): the status says enough.
  }
  return new AutoglmError(code, `study ${studyId} was not exported: ${message}`, { httpStatus: res.status });
}

/**
 * Streams the export of `studyId` into `target`: a path (written to `<path>.part`, renamed into
 * place once complete, so a failure leaves no file under the final name) or a writable stream.
 * Resolves to the trial count the server announced and the bytes written.
 */
export async function exportStudy(
  t: TDownloadTransport,
  studyId: string,
  format: TExportFormat,
  target: string | Writable,
  opts: TExportOptions = {},
): Promise<{ total: number; bytes: number }> {
  const res = await t.fetch(`${t.server}/api/studies/${encodeURIComponent(studyId)}/export?format=${format}`, {
    headers: { authorization: `Bearer ${t.token}` },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok || !res.body) throw await refusalOf(res, studyId);
  const total = Number(res.headers.get("x-autoglm-trial-count") ?? 0);
  // The first line is the CSV header or the JSON document's opening; the JSON's last line closes it.
  let lines = 0;
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      opts.onProgress?.({ trials: Math.min(total, Math.max(0, lines - 1)), total, bytes });
      done(null, chunk);
    },
  });
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  if (typeof target !== "string") {
    await pipeline(body, meter, target, { end: false });
    return { total, bytes };
  }
  const part = `${target}.part`;
  try {
    await pipeline(body, meter, createWriteStream(part, { flags: "w", mode: 0o644 }));
    await rename(part, target);
  } catch (err) {
    await rm(part, { force: true });
    throw new AutoglmError(
      "DOWNLOAD_INCOMPLETE",
      `study ${studyId}: the export was cut off after ${bytes} bytes; nothing was kept`,
      {
        cause: err,
      },
    );
  }
  return { total, bytes };
}

// Downloads a model version into a directory through the platform's verified route. Each file
// streams to a temporary name beside its final one while it is hashed (a 1 GB file never sits in
// memory); only when every file's SHA-256 and the whole manifest's digest check out are they
// renamed into place, so a failure leaves no file under a final name.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, realpath, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AutoglmError } from "./errors.js";
import { manifestDigest } from "./model-manifest.js";

export interface TDownloadableVersion {
  model: string;
  version: number;
  uri: string;
  digest: string;
  files: Array<{ name: string; sizeBytes: number; sha256: string; downloadUrl: string }>;
}

export interface TDownloadProgress {
  file: string;
  receivedBytes: number;
  totalBytes: number;
}

export interface TDownloadOptions {
  /** Called as bytes arrive (per chunk; throttle it yourself). */
  onProgress?: (p: TDownloadProgress) => void;
  signal?: AbortSignal;
  /**
   * A transfer that sends nothing for this long is abandoned (default 60 000 ms). An idle limit,
   * not a total one: a large file on a slow link may take as long as it needs.
   */
  idleTimeoutMs?: number;
}

export interface TDownloadedFile {
  name: string;
  /** Where it was written (absolute). */
  path: string;
  sizeBytes: number;
  sha256: string;
}

export interface TDownloadedVersion {
  model: string;
  version: number;
  uri: string;
  digest: string;
  dir: string;
  totalBytes: number;
  files: TDownloadedFile[];
}

export interface TDownloadTransport {
  server: string;
  token: string;
  fetch: typeof fetch;
}

/**
 * Where a file named by the server goes under `dir`. Names come from the platform, which refuses
 * unsafe ones at upload, but a client writing to disk checks again (S9): no absolute path, no
 * `..`, `.` or empty segment, no backslash or NUL, and the result must lie inside `dir`.
 */
export function safeTargetPath(dir: string, name: string): string {
  const root = path.resolve(dir);
  const segments = name.split("/");
  const unsafe =
    name.length === 0 ||
    /[\\\0]/.test(name) ||
    /^[A-Za-z]:/.test(name) ||
    segments.some((s) => s === "" || s === "." || s === "..");
  const full = path.resolve(root, ...segments);
  if (unsafe || !full.startsWith(root + path.sep)) {
    throw new AutoglmError(
      "UNSAFE_FILE_NAME",
      `refusing file "${name}": it would be written outside ${root}; nothing was downloaded`,
    );
  }
  return full;
}

function sizeText(bytes: number): string {
  return `${bytes} byte${bytes === 1 ? "" : "s"}`;
}

/** The download route's refusal (`{"error":{"code","message"}}`) as an error naming the file. */
async function refusalOf(res: Response, file: string, uri: string): Promise<AutoglmError> {
  let code = `HTTP_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not our JSON (a proxy's page): the status says enough.
  }
  return new AutoglmError(code, `file "${file}" of ${uri} was not downloaded: ${message}`, { httpStatus: res.status });
}

/** One file to `tmp`, hashed on the way; throws an error naming the file on any refusal, cut or mismatch. */
async function downloadFile(
  t: TDownloadTransport,
  v: TDownloadableVersion,
  file: TDownloadableVersion["files"][number],
  tmp: string,
  opts: TDownloadOptions,
): Promise<{ sizeBytes: number; sha256: string }> {
  const controller = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), idleMs);
  const onAbort = () => controller.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const hash = createHash("sha256");
  let received = 0;
  try {
    const res = await t.fetch(`${t.server}${file.downloadUrl}`, {
      headers: { authorization: `Bearer ${t.token}` },
      signal: controller.signal,
    });
    if (!res.ok || !res.body) throw await refusalOf(res, file.name, v.uri);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), idleMs);
        received += chunk.length;
        if (received > file.sizeBytes) {
          return done(
            new AutoglmError(
              "CHECKSUM_MISMATCH",
              `file "${file.name}" of ${v.uri} is longer than its recorded ${sizeText(file.sizeBytes)}; it was not kept`,
            ),
          );
        }
        hash.update(chunk);
        opts.onProgress?.({ file: file.name, receivedBytes: received, totalBytes: file.sizeBytes });
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      meter,
      createWriteStream(tmp, { flags: "wx", mode: 0o644 }),
    );
  } catch (err) {
    if (err instanceof AutoglmError) throw err;
    const why = opts.signal?.aborted
      ? "the download was cancelled"
      : controller.signal.aborted
        ? `nothing arrived for ${idleMs / 1000} s`
        : "the transfer was cut off (the server stops sending a file whose stored bytes no longer match its recorded SHA-256; or the connection dropped)";
    throw new AutoglmError(
      "DOWNLOAD_INCOMPLETE",
      `file "${file.name}" of ${v.uri}: ${why} after ${received} of ${sizeText(file.sizeBytes)}; it was not kept`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  const sha256 = hash.digest("hex");
  if (received !== file.sizeBytes || sha256 !== file.sha256) {
    throw new AutoglmError(
      "CHECKSUM_MISMATCH",
      `file "${file.name}" of ${v.uri}: received ${sizeText(received)} with SHA-256 ${sha256}, the version records ${sizeText(file.sizeBytes)} with SHA-256 ${file.sha256}; it was not kept`,
    );
  }
  return { sizeBytes: received, sha256 };
}

/** `mkdir -p dir`, noting each directory it made (outermost first) so that a failed download can remove them again. */
async function makeDirs(dir: string, created: string[]): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return;
  const made: string[] = [];
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) {
    made.unshift(d);
    if (d === first) break;
  }
  for (const d of made) if (!created.includes(d)) created.push(d);
}

/**
 * Downloads every file of `v` into `dir` and verifies it: each file's size and SHA-256 against
 * the version's record, then the digest of the manifest of what arrived against the version's
 * digest. Throws an `AutoglmError` naming the file (or the digest) and leaves nothing behind.
 */
export async function downloadModelVersion(
  t: TDownloadTransport,
  v: TDownloadableVersion,
  dir: string,
  opts: TDownloadOptions = {},
): Promise<TDownloadedVersion> {
  const listed = manifestDigest(v.files);
  if (listed !== v.digest) {
    throw new AutoglmError(
      "DIGEST_MISMATCH",
      `the file list of ${v.uri} hashes to ${listed}, not its digest ${v.digest}; nothing was downloaded`,
    );
  }
  const root = path.resolve(dir);
  const targets = v.files.map((f) => ({ file: f, target: safeTargetPath(root, f.name) }));
  if (new Set(targets.map((x) => x.target)).size !== targets.length) {
    throw new AutoglmError("UNSAFE_FILE_NAME", `${v.uri} names one file twice; nothing was downloaded`);
  }
  const created: string[] = [];
  const temps: string[] = [];
  try {
    await makeDirs(root, created);
    const arrived = [];
    const realRoot = await realpath(root);
    for (const { file, target } of targets) {
      await makeDirs(path.dirname(target), created);
      // A symlink already in DIR (DIR/sub → /etc) would carry a lexically safe name outside it.
      const realDir = await realpath(path.dirname(target));
      if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) {
        throw new AutoglmError(
          "UNSAFE_FILE_NAME",
          `refusing file "${file.name}": ${path.dirname(target)} leads outside ${root} (a symlink); nothing was kept`,
        );
      }
      const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.part`);
      temps.push(tmp);
      arrived.push({ name: file.name, ...(await downloadFile(t, v, file, tmp, opts)) });
    }
    // The digest of what arrived, as anyone holding only the files would compute it.
    const got = manifestDigest(arrived);
    if (got !== v.digest) {
      throw new AutoglmError(
        "DIGEST_MISMATCH",
        `the downloaded files of ${v.uri} hash to ${got}, not its digest ${v.digest}; nothing was kept`,
      );
    }
    for (let i = 0; i < targets.length; i++) await rename(temps[i]!, targets[i]!.target);
  } catch (err) {
    await Promise.all(temps.map((tmp) => rm(tmp, { force: true })));
    for (const d of created.reverse()) await rmdir(d).catch(() => undefined);
    throw err;
  }
  return {
    model: v.model,
    version: v.version,
    uri: v.uri,
    digest: v.digest,
    dir: root,
    totalBytes: v.files.reduce((n, f) => n + f.sizeBytes, 0),
    files: targets.map(({ file, target }) => ({ name: file.name, path: target, sizeBytes: file.sizeBytes, sha256: file.sha256 })),
  };
}

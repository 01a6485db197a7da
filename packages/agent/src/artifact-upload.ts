import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { lstat, open, readdir, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import picomatch from "picomatch";
import { DEFAULT_ARTIFACTS_MB, type Logger, type TTrialLease } from "@autoglm/protocol";
import { FENCED_MARKER, PRUNE_MARKER } from "./trial-runner.js";

/**
 * When an attempt ends, the files of its output dir go to the platform's artifact store
 * through the server (agents never hold store credentials): one streamed PUT per file, fenced
 * by the attempt's lease token, before the completion is sent so the lease still holds (an
 * attempt the server ended first, a prune or a stop, is accepted for a few minutes after).
 */

/** Tries per file: a dropped connection or a 5xx is retried after 0.5, 1 and 2 s. */
const TRIES = 4;
const FIRST_BACKOFF_MS = 500;
const MIB = 1024 * 1024;
/** The agent's own files in the output dir (stop markers), never the trial's output. */
const OWN_FILES = new Set([PRUNE_MARKER, FENCED_MARKER]);

export interface ArtifactUploadInput {
  server: string;
  token: string;
  lease: Pick<TTrialLease, "trialId" | "attempt" | "leaseToken" | "run">;
  outputDir: string;
  logger: Logger;
  /** When set, uploading stops after this long (a file in flight is cut off); the rest is reported as not uploaded. */
  budgetMs?: number | undefined;
}

interface TFound {
  /** Relative to the output dir, "/" between segments. */
  name: string;
  abs: string;
}

/** Regular files under `dir`, by name; symbolic links are never followed (listed in `links`). */
async function walk(dir: string, prefix: string, files: TFound[], links: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = prefix ? `${prefix}/${e.name}` : e.name;
    const abs = path.join(dir, e.name);
    const st = await lstat(abs);
    if (st.isSymbolicLink()) links.push(name);
    else if (st.isDirectory()) await walk(abs, name, files, links);
    else if (st.isFile() && !(prefix === "" && OWN_FILES.has(e.name))) files.push({ name, abs });
  }
}

/** The file opened without following a link (O_NOFOLLOW: a link swapped in after the walk is refused), its size and SHA-256. */
async function openAndHash(abs: string): Promise<{ fh: FileHandle; size: number; sha256: string }> {
  const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error("not a regular file");
    const hash = createHash("sha256");
    for await (const chunk of createReadStream("", { fd: fh.fd, start: 0, autoClose: false })) hash.update(chunk as Buffer);
    return { fh, size: st.size, sha256: hash.digest("hex") };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

type TPutAnswer = { ok: true } | { ok: false; status: number; message: string; retry: boolean };

async function putOnce(
  input: ArtifactUploadInput,
  name: string,
  file: { fh: FileHandle; size: number; sha256: string },
  signal: AbortSignal | undefined,
) {
  const { trialId, attempt, leaseToken } = input.lease;
  const url = `${input.server.replace(/\/$/, "")}/agent-api/v1/trials/${trialId}/attempts/${attempt}/artifacts/${name
    .split("/")
    .map(encodeURIComponent)
    .join("/")}`;
  const body = Readable.toWeb(createReadStream("", { fd: file.fh.fd, start: 0, autoClose: false })) as ReadableStream;
  const res = await fetch(url, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${input.token}`,
      "x-autoglm-lease-token": leaseToken,
      "x-autoglm-sha256": file.sha256,
      "content-length": String(file.size),
      "content-type": "application/octet-stream",
    },
    body,
    duplex: "half",
    signal,
  } as RequestInit);
  if (res.ok) {
    await res.body?.cancel();
    return { ok: true } as const;
  }
  const answer = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  const message = answer?.error?.message ?? `HTTP ${res.status}`;
  return { ok: false, status: res.status, message, retry: res.status >= 500 || res.status === 429 } as const;
}

/** One file's PUT, retried on a dropped connection or a server error (each try re-reads the file from its start). */
async function putWithRetries(
  input: ArtifactUploadInput,
  name: string,
  file: Awaited<ReturnType<typeof openAndHash>>,
  signal: AbortSignal | undefined,
): Promise<TPutAnswer> {
  let last: TPutAnswer = { ok: false, status: 0, message: "not sent", retry: true };
  for (let i = 0; i < TRIES; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, FIRST_BACKOFF_MS * 2 ** (i - 1)));
    if (signal?.aborted) return outOfTime(input);
    try {
      last = await putOnce(input, name, file, signal);
    } catch (err) {
      if (signal?.aborted) return outOfTime(input);
      last = { ok: false, status: 0, message: (err as Error).message, retry: true };
    }
    if (last.ok || !last.retry) return last;
  }
  return last;
}

function outOfTimeMessage(input: ArtifactUploadInput): string {
  return `out of the ${input.budgetMs} ms upload time of an attempt that did not complete`;
}

function outOfTime(input: ArtifactUploadInput): TPutAnswer {
  return { ok: false, status: 0, message: outOfTimeMessage(input), retry: false };
}

/**
 * Uploads the attempt's output files that match `run.artifacts` (all when absent) within
 * `run.artifactsMaxMb`, and returns the lines the trial's log tail gets for what was not
 * uploaded (links, files over the cap, refusals). Never throws for one file's failure.
 */
export async function uploadArtifacts(input: ArtifactUploadInput): Promise<string[]> {
  const files: TFound[] = [];
  const links: string[] = [];
  const warnings: string[] = [];
  try {
    await walk(input.outputDir, "", files, links);
  } catch (err) {
    return [`[agent] artifacts not uploaded: cannot read the output dir (${(err as Error).message})`];
  }
  for (const name of links) warnings.push(`[agent] artifact ${name} not uploaded: it is a symbolic link`);
  const globs = input.lease.run.artifacts;
  const matches = globs && globs.length > 0 ? picomatch(globs) : () => true;
  const maxMb = input.lease.run.artifactsMaxMb ?? DEFAULT_ARTIFACTS_MB;
  let remaining = maxMb * MIB;
  const signal = input.budgetMs === undefined ? undefined : AbortSignal.timeout(input.budgetMs);
  for (const f of files.filter((x) => matches(x.name))) {
    if (signal?.aborted) {
      warnings.push(`[agent] artifact ${f.name} not uploaded: ${outOfTimeMessage(input)}`);
      continue;
    }
    let file: Awaited<ReturnType<typeof openAndHash>>;
    try {
      file = await openAndHash(f.abs);
    } catch (err) {
      warnings.push(`[agent] artifact ${f.name} not uploaded: ${(err as Error).message}`);
      continue;
    }
    try {
      if (file.size > remaining) {
        warnings.push(
          `[agent] artifact ${f.name} not uploaded: ${file.size} bytes, over the ${remaining} bytes left of run.artifacts_max_mb (${maxMb})`,
        );
        continue;
      }
      const answer = await putWithRetries(input, f.name, file, signal);
      if (answer.ok) remaining -= file.size;
      else {
        warnings.push(`[agent] artifact ${f.name} not uploaded: ${answer.message}`);
        // The lease is gone (409) or the token refused (401/403): nothing more will be accepted.
        if ([401, 403, 409].includes(answer.status)) break;
      }
    } finally {
      await file.fh.close();
    }
  }
  if (warnings.length)
    input.logger.warn("some artifacts were not uploaded", { trialId: input.lease.trialId, count: warnings.length });
  return warnings;
}

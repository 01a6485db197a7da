import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { TReplicaStart } from "@autoglm/protocol";
import { manifestDigest } from "@autoglm/protocol/model-manifest";

/** A replica's model cannot be loaded as sent: the reason names the file (replica:ended failed). */
export class ReplicaRefused extends Error {}

export interface DownloadTarget {
  /** The server's base URL. */
  server: string;
  /** The agent's API token (scope `agent`). */
  token: string;
  replicaId: string;
  leaseToken: string;
  files: TReplicaStart["model"]["files"];
  /** The registry's manifest digest (64 lowercase hex), as the version records it. */
  digest: string;
  signal?: AbortSignal;
}

/** A relative path that stays inside the model directory: no `..`, no absolute path, no backslash, no empty segment. */
function safeRelative(name: string): string {
  const parts = name.split("/");
  if (name.includes("\\") || name.startsWith("/") || parts.some((p) => p === "" || p === "." || p === ".."))
    throw new ReplicaRefused(`file ${JSON.stringify(name)}: its name would leave the model directory`);
  return path.join(...parts);
}

/** The file list the server sent must be the version the registry sealed: its canonical digest is `digest`. */
function checkManifest(t: DownloadTarget): void {
  const listed = manifestDigest(t.files.map((f) => ({ name: f.name, sizeBytes: f.size, sha256: f.sha256 })));
  if (listed !== t.digest)
    throw new ReplicaRefused(`the file list does not match the version's digest ${t.digest} (it hashes to ${listed})`);
}

/** The server's own words on a refused download (`{"error": {"code", "message"}}`), bounded; empty when it gave none. */
async function serverMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    return typeof message === "string" ? ` (${typeof code === "string" ? `${code}: ` : ""}${message.slice(0, 500)})` : "";
  } catch {
    return "";
  }
}

/** Streams one file to disk through SHA-256 and a byte count; a mismatch names the file. */
async function fetchFile(t: DownloadTarget, file: DownloadTarget["files"][number], dir: string): Promise<void> {
  const rel = safeRelative(file.name);
  const url = `${t.server.replace(/\/+$/, "")}/agent/replicas/${t.replicaId}/files/${file.name.split("/").map(encodeURIComponent).join("/")}`;
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${t.token}`, "x-autoglm-lease": t.leaseToken },
    signal: t.signal,
  });
  if (!res.ok || !res.body) {
    const said = await serverMessage(res);
    throw new ReplicaRefused(`file ${JSON.stringify(file.name)}: the server answered ${res.status} to its download${said}`);
  }
  const dest = path.join(dir, rel);
  mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
  const hash = createHash("sha256");
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      // Never write far past what the registry promised.
      if (size > file.size)
        return done(new ReplicaRefused(`file ${JSON.stringify(file.name)}: more than its ${file.size} bytes arrived`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), count, createWriteStream(dest, { mode: 0o600, flags: "wx" }));
  } catch (err) {
    if (err instanceof ReplicaRefused || t.signal?.aborted) throw err;
    // The server cuts a file whose stored bytes no longer match their SHA-256 once it has read them all (verified-download.ts).
    throw new ReplicaRefused(
      `file ${JSON.stringify(file.name)}: the download broke off after ${size} of ${file.size} B (the server stops sending a file whose stored bytes no longer match its SHA-256)`,
    );
  }
  const sha256 = hash.digest("hex");
  if (size !== file.size || sha256 !== file.sha256)
    throw new ReplicaRefused(
      `file ${JSON.stringify(file.name)}: ${size} B with SHA-256 ${sha256} arrived; the registry has ${file.size} B with SHA-256 ${file.sha256}`,
    );
}

/**
 * Downloads a replica's files from `GET /agent/replicas/{id}/files/{name}` into `dir` (the
 * agent's own, mode 0700), checking the list against the manifest digest first and every
 * file's size and SHA-256 as it streams in. Throws ReplicaRefused naming the file that differs.
 */
export async function downloadReplicaFiles(t: DownloadTarget, dir: string): Promise<void> {
  checkManifest(t);
  for (const f of t.files) await fetchFile(t, f, dir);
}

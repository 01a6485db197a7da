import { createHash } from "node:crypto";
import { AppError } from "../errors.js";
import type { TArtifactReader } from "../artifact-reader.js";

export interface TManifestFile {
  name: string;
  sizeBytes: number;
  sha256: string;
}

/** Names in Unicode code point order (= the order of their UTF-8 bytes, = Python's `sorted`). */
export function byName(a: { name: string }, b: { name: string }): number {
  return Buffer.compare(Buffer.from(a.name, "utf8"), Buffer.from(b.name, "utf8"));
}

/**
 * The canonical form a version's digest is the SHA-256 of, so anyone can recompute it from the
 * files alone: a JSON array with one object per file, sorted by name in code point order, keys
 * exactly `name`, `size` (bytes), `sha256` (64 lowercase hex) in that order, no whitespace,
 * UTF-8, non-ASCII left unescaped. In Python:
 *   json.dumps(sorted(files, key=lambda f: f["name"]), separators=(",", ":"), ensure_ascii=False).encode()
 * with each file `{"name": …, "size": …, "sha256": …}`.
 */
export function canonicalManifest(files: TManifestFile[]): string {
  return JSON.stringify([...files].sort(byName).map((f) => ({ name: f.name, size: f.sizeBytes, sha256: f.sha256 })));
}

/** SHA-256 (hex) of the canonical manifest. */
export function manifestDigest(files: TManifestFile[]): string {
  return createHash("sha256").update(canonicalManifest(files), "utf8").digest("hex");
}

/** Streams one stored object through SHA-256 (never whole in memory): its hash and length, or null when it is gone. */
async function hashStored(store: TArtifactReader, key: string): Promise<{ sha256: string; size: number } | null> {
  let body;
  try {
    body = await store.get(key);
  } catch (err) {
    if ((err as { code?: string }).code === "NOT_FOUND") return null;
    throw err;
  }
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * Re-hashes every file in the store before a version records it: the rows say what the agent
 * uploaded, the store is what a download would serve, and a version must never promise bytes
 * the store no longer holds. The error names the first file that differs.
 */
export async function verifyStoredFiles(
  store: TArtifactReader,
  files: Array<TManifestFile & { storeKey: string }>,
  trialLabel: string,
): Promise<void> {
  for (const f of files) {
    const got = await hashStored(store, f.storeKey);
    if (got && got.sha256 === f.sha256 && got.size === f.sizeBytes) continue;
    const what = got
      ? `its stored bytes (${got.size} B, SHA-256 ${got.sha256}) differ from the uploaded ${f.sizeBytes} B, SHA-256 ${f.sha256}`
      : "it is missing from the artifact store";
    throw new AppError("ARTIFACT_TAMPERED", {
      userMessage: `File "${f.name}" of ${trialLabel} cannot be registered: ${what}.`,
    });
  }
}

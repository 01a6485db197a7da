import { createHash } from "node:crypto";

/** One file of a model version as the registry lists it. */
export interface TManifestEntry {
  name: string;
  sizeBytes: number;
  sha256: string;
}

/** Names in Unicode code point order (= the order of their UTF-8 bytes, = Python's `sorted`). */
export function byManifestName(a: { name: string }, b: { name: string }): number {
  return Buffer.compare(Buffer.from(a.name, "utf8"), Buffer.from(b.name, "utf8"));
}

/**
 * The canonical form a version's digest is the SHA-256 of, so anyone can recompute it from the
 * files alone: a JSON array with one object per file, sorted by name in code point order, keys
 * exactly `name`, `size` (bytes), `sha256` (64 lowercase hex) in that order, no whitespace,
 * UTF-8, non-ASCII left unescaped. In Python:
 *   json.dumps(sorted(files, key=lambda f: f["name"]), separators=(",", ":"), ensure_ascii=False).encode()
 * with each file `{"name": …, "size": …, "sha256": …}`. The registry, the SDK's download and the
 * agent's replica loader all call this one function.
 */
export function canonicalManifest(files: TManifestEntry[]): string {
  return JSON.stringify([...files].sort(byManifestName).map((f) => ({ name: f.name, size: f.sizeBytes, sha256: f.sha256 })));
}

/** SHA-256 (lowercase hex) of the canonical manifest. */
export function manifestDigest(files: TManifestEntry[]): string {
  return createHash("sha256").update(canonicalManifest(files), "utf8").digest("hex");
}

// The manifest digest of a model version, recomputed on the client: the SDK takes @autoglm/api
// for its types only (STYLE §1), so this mirrors the api's canonicalManifest in a few lines, and
// tests/model-manifest.test.ts holds the two to the same answers.
import { createHash } from "node:crypto";

export interface TManifestEntry {
  name: string;
  sizeBytes: number;
  sha256: string;
}

/** Code point order of the names (= the order of their UTF-8 bytes, = Python's `sorted`). */
function byName(a: TManifestEntry, b: TManifestEntry): number {
  return Buffer.compare(Buffer.from(a.name, "utf8"), Buffer.from(b.name, "utf8"));
}

/**
 * `[{"name":…,"size":…,"sha256":…},…]` sorted by name, keys in that order, no whitespace,
 * non-ASCII left as UTF-8: the text whose SHA-256 is a version's digest (README "Model registry").
 */
export function canonicalManifest(files: TManifestEntry[]): string {
  return JSON.stringify([...files].sort(byName).map((f) => ({ name: f.name, size: f.sizeBytes, sha256: f.sha256 })));
}

/** SHA-256 (lowercase hex) of the canonical manifest. */
export function manifestDigest(files: TManifestEntry[]): string {
  return createHash("sha256").update(canonicalManifest(files), "utf8").digest("hex");
}

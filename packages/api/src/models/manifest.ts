import { createHash } from "node:crypto";
import { byManifestName, canonicalManifest, manifestDigest, type TManifestEntry } from "@autoglm/protocol/model-manifest";
import { AppError } from "../errors.js";
import type { TArtifactReader } from "../artifact-reader.js";

export type TManifestFile = TManifestEntry;

/** Names in Unicode code point order (the registry's, the SDK's and the agent's one definition). */
export const byName = byManifestName;

// The canonical manifest and its digest live in @autoglm/protocol, shared with the SDK and the
// agent (which checks a replica's files against the digest before loading them).
export { canonicalManifest, manifestDigest };

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

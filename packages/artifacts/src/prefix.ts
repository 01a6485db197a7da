import { checkKey } from "./artifact-key.js";
import { ArtifactStoreError } from "./errors.js";
import type { TByteRange } from "./store.js";

/** A list/delete prefix: "" or a key's beginning (a trailing "/" allowed), checked like a key. */
export function checkPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  checkKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export function checkRange(range: TByteRange | undefined): void {
  if (!range) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new ArtifactStoreError("INVALID_ARGUMENT", `byte range ${start}-${end ?? ""} is not a range (0 <= start <= end)`);
  }
}

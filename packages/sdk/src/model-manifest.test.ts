import { describe, expect, it } from "vitest";
// Test-only: the SDK's own code never imports @autoglm/api at run time (tooling/eslint/graph.js).
import { canonicalManifest as apiCanonical, manifestDigest as apiDigest } from "@autoglm/api";
import { canonicalManifest, manifestDigest } from "./model-manifest.js";

describe("manifestDigest", () => {
  it("agrees with the server's for names that sort differently by UTF-16 and by code point", () => {
    // "\u{1F600}" (a surrogate pair in UTF-16) sorts before "\uFF5E" there, after it by code point.
    const files = [
      { name: "\uFF5E.txt", sizeBytes: 3, sha256: "a".repeat(64) },
      { name: "\u{1F600}.bin", sizeBytes: 1, sha256: "b".repeat(64) },
      { name: "B.json", sizeBytes: 0, sha256: "c".repeat(64) },
      { name: "a/é.txt", sizeBytes: 12, sha256: "d".repeat(64) },
    ];
    expect(canonicalManifest(files)).toBe(apiCanonical(files));
    expect(manifestDigest(files)).toBe(apiDigest(files));
    expect(canonicalManifest(files)).toMatch(/^\[\{"name":"B\.json","size":0,"sha256":"c+"\},\{"name":"a\/é\.txt"/);
  });
});

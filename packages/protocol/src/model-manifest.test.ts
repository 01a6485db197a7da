import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalManifest, manifestDigest } from "./model-manifest.js";

describe("manifestDigest", () => {
  it("hashes the files sorted by code point, keys name/size/sha256, no whitespace, UTF-8 unescaped (README's Python recipe)", () => {
    const files = [
      { name: "b.json", sizeBytes: 2, sha256: "b".repeat(64) },
      { name: "é.txt", sizeBytes: 1, sha256: "e".repeat(64) },
      { name: "B.bin", sizeBytes: 0, sha256: "c".repeat(64) },
    ];
    const text = `[{"name":"B.bin","size":0,"sha256":"${"c".repeat(64)}"},{"name":"b.json","size":2,"sha256":"${"b".repeat(64)}"},{"name":"é.txt","size":1,"sha256":"${"e".repeat(64)}"}]`;
    expect(canonicalManifest(files)).toBe(text);
    expect(manifestDigest(files)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    expect(manifestDigest([...files].reverse())).toBe(manifestDigest(files));
  });
});

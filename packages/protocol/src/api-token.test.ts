import { describe, expect, it } from "vitest";
import { generateApiToken, hashApiToken, isWellFormedApiToken, sha256Hex, tokenDisplayPrefix } from "./api-token.js";

describe("API tokens", () => {
  it("generates well-formed tokens whose stored hash is the sha256 of the whole token", () => {
    const { token, prefix, hash } = generateApiToken();
    expect(token).toMatch(/^agl_[0-9A-Za-z]{38}$/);
    expect(isWellFormedApiToken(token)).toBe(true);
    expect(prefix).toBe(tokenDisplayPrefix(token));
    expect(hash).toBe(hashApiToken(token));
    expect(hash).toBe(sha256Hex(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a changed checksum, another shape and what is not a string", () => {
    const { token } = generateApiToken();
    const last = token.at(-1) === "a" ? "b" : "a";
    expect(isWellFormedApiToken(token.slice(0, -1) + last)).toBe(false);
    expect(isWellFormedApiToken(token + "x")).toBe(false);
    expect(isWellFormedApiToken(token.replace("agl_", "agk_"))).toBe(false);
    expect(isWellFormedApiToken(undefined)).toBe(false);
    expect(isWellFormedApiToken(42)).toBe(false);
  });
});

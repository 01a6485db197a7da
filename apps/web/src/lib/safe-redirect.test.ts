import { describe, expect, it } from "vitest";
import { sameOriginPath } from "./safe-redirect";

const ORIGIN = "http://127.0.0.1:3000";
const check = (raw: string | null | undefined) => sameOriginPath(raw, ORIGIN);

describe("sameOriginPath: where a browser may go after sign-in", () => {
  it("keeps a path on our origin, with its query and hash", () => {
    expect(check("/studies/1")).toBe("/studies/1");
    expect(check("/invite/abc?x=1#top")).toBe("/invite/abc?x=1#top");
    expect(check(`${ORIGIN}/settings/tokens`)).toBe("/settings/tokens");
    expect(check(null)).toBe("/projects");
    expect(check("")).toBe("/projects");
  });

  it.each([
    ["a tab the browser strips", "/\t/evil.test/phish"],
    ["a newline the browser strips", "/\n/evil.test/phish"],
    ["a carriage return", "/\r\n/evil.test"],
    ["protocol-relative", "//evil.test"],
    ["a backslash read as a slash", "/\\evil.test"],
    ["backslashes only", "\\\\evil.test"],
    ["another origin", "https://evil.test/"],
    ["another port of ours", "http://127.0.0.1:4000/projects"],
    ["javascript:", "javascript:alert(1)"],
    ["JavaScript: with a tab", "java\tscript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["leading spaces", "  //evil.test"],
    ["userinfo trick", "//127.0.0.1:3000@evil.test/"],
  ])("refuses %s", (_what, raw) => {
    expect(check(raw)).toBe("/projects");
  });

  it("refuses the encoded forms once decoded, as the sign-in page's query string is", () => {
    for (const encoded of [
      "%2F%09%2Fevil.test%2Fphish",
      "%2F%0A%2Fevil.test",
      "%2F%2Fevil.test",
      "%2F%5Cevil.test",
      "https%3A%2F%2Fevil.test",
    ]) {
      expect(check(decodeURIComponent(encoded)), encoded).toBe("/projects");
    }
    // Still encoded (decoded once more by nobody), it is a harmless path on our origin.
    expect(check("/%2F%2Fevil.test")).toBe("/%2F%2Fevil.test");
  });

  it("a dot segment that normalises to // stays on our origin", () => {
    const out = check("/.//evil.test/x");
    expect(out).toBe("/evil.test/x");
    expect(new URL(out, ORIGIN).origin).toBe(ORIGIN);
  });
});

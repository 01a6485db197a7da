import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { normalizeServer } from "./server-url.js";
import { toAutoglmError } from "./errors.js";

describe("normalizeServer", () => {
  it("accepts a base URL with or without /api/trpc and trailing slashes", () => {
    expect(normalizeServer("http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000");
    expect(normalizeServer("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(normalizeServer("https://ml.example.com/autoglm/api/trpc/")).toBe("https://ml.example.com/autoglm");
  });
  it("refuses what is not an http(s) URL, and credentials in the URL", () => {
    expect(() => normalizeServer("127.0.0.1:3000")).toThrow(/must start with http/);
    expect(() => normalizeServer("ftp://host")).toThrow(/must start with http/);
    expect(() => normalizeServer("http://")).toThrow(/is not a URL/);
    expect(() => normalizeServer("http://u:agl_secret@host")).toThrow(/not in the server URL/);
  });
});

describe("toAutoglmError", () => {
  it("explains a refused connection without a stack", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    const e = toAutoglmError(err, `http://127.0.0.1:${port}`);
    expect(e.code).toBe("UNREACHABLE");
    expect(e.message).toBe(`cannot reach http://127.0.0.1:${port}: connection refused`);
  });
});

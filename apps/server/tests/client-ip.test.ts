import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createClientIpResolver } from "../src/client-ip.js";
import { loadEnv } from "../src/env.js";

function request(peer: string, forwardedFor?: string): IncomingMessage {
  const socket = { remoteAddress: peer };
  return {
    socket,
    connection: socket,
    headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
  } as unknown as IncomingMessage;
}

describe("client address for the sign-in limits (S6)", () => {
  it("ignores X-Forwarded-For by default: the TCP peer is the client", () => {
    const ip = createClientIpResolver("");
    expect(ip(request("198.51.100.1", "203.0.113.9"))).toBe("198.51.100.1");
  });

  it("believes X-Forwarded-For only through the listed proxies, from the right", () => {
    const ip = createClientIpResolver("10.0.0.0/8, loopback");
    expect(ip(request("10.1.2.3", "203.0.113.9"))).toBe("203.0.113.9");
    // A client-written entry further left is not believed past the first untrusted hop.
    expect(ip(request("10.1.2.3", "6.6.6.6, 203.0.113.9"))).toBe("203.0.113.9");
    expect(ip(request("127.0.0.1", "203.0.113.9, 10.9.9.9"))).toBe("203.0.113.9");
    // A peer that is not a listed proxy is the client, whatever it forwards.
    expect(ip(request("198.51.100.1", "203.0.113.9"))).toBe("198.51.100.1");
  });

  it("takes a hop count", () => {
    const ip = createClientIpResolver("1");
    expect(ip(request("192.0.2.50", "6.6.6.6, 203.0.113.9"))).toBe("203.0.113.9");
    expect(createClientIpResolver("0")(request("192.0.2.50", "203.0.113.9"))).toBe("192.0.2.50");
  });

  it("refuses a setting that is neither, naming the variable and not echoing it", () => {
    expect(() => loadEnv({}, { NODE_ENV: "production", TRUSTED_PROXIES: "everyone-please" })).toThrow(
      /TRUSTED_PROXIES: must be a hop count/,
    );
    expect(() => loadEnv({}, { NODE_ENV: "production", TRUSTED_PROXIES: "everyone-please" })).not.toThrow(/everyone-please/);
  });
});

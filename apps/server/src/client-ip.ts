import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * The client's address for per-client limits (S6). `X-Forwarded-For` is anyone's to write,
 * so it is read only through proxies the operator named in TRUSTED_PROXIES:
 * - "" (default): trust none; the TCP peer is the client.
 * - a hop count, e.g. "1": trust that many proxies in front of us (a load balancer).
 * - a comma list of addresses, CIDRs or proxy-addr's names ("loopback", "10.0.0.0/8").
 * Without it, behind a proxy every client shares the proxy's address and its limits.
 */
export type TClientIpResolver = (req: IncomingMessage) => string;

export function parseTrustedProxies(setting: string): ((addr: string, hop: number) => boolean) | null {
  const text = setting.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops === 0 ? null : (_addr, hop) => hop < hops;
  }
  // Throws on an entry that is not an address, a CIDR or a known name.
  return proxyaddr.compile(
    text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export function createClientIpResolver(setting: string): TClientIpResolver {
  const trust = parseTrustedProxies(setting);
  if (!trust) return (req) => req.socket.remoteAddress ?? "unknown";
  return (req) => {
    try {
      return proxyaddr(req, trust);
    } catch {
      return req.socket.remoteAddress ?? "unknown";
    }
  };
}

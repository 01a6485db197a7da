import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a team's webhook may point (S9). A webhook makes the server send requests the team
 * chose, so by default only public unicast addresses are reachable: never the cloud metadata
 * service (169.254.169.254), loopback, the private ranges or the platform itself.
 * `allowPrivateTargets` (WEBHOOK_ALLOW_PRIVATE_TARGETS) opens loopback and the private ranges
 * for receivers inside the operator's network; link-local (the metadata service lives there),
 * multicast, reserved and unspecified addresses, and the platform's own listener stay refused
 * even then: no receiver lives there, and the metadata service hands out cloud credentials.
 */
export interface TWebhookTargetPolicy {
  allowPrivateTargets: boolean;
  /** The platform's own URL (PUBLIC_URL, else its listener): a webhook may not call the platform. */
  platformUrl: string;
}

/** A refused target: `message` is a sentence for the team (names the host, never a secret). */
export class WebhookTargetRefused extends Error {
  override name = "WebhookTargetRefused";
}

type TRange = readonly [string, number, "ipv4" | "ipv6"];

function blockListOf(ranges: readonly TRange[]): BlockList {
  const list = new BlockList();
  for (const [net, prefix, family] of ranges) list.addSubnet(net, prefix, family);
  return list;
}

/** Never reachable, whatever the operator allows. BlockList matches IPv4-mapped IPv6 (::ffff:a.b.c.d) too. */
const NEVER: ReadonlyArray<readonly [string, BlockList]> = [
  [
    "an unspecified address",
    blockListOf([
      ["0.0.0.0", 8, "ipv4"],
      ["::", 128, "ipv6"],
    ]),
  ],
  [
    "a link-local address",
    blockListOf([
      ["169.254.0.0", 16, "ipv4"],
      ["fe80::", 10, "ipv6"],
    ]),
  ],
  [
    "a multicast address",
    blockListOf([
      ["224.0.0.0", 4, "ipv4"],
      ["ff00::", 8, "ipv6"],
    ]),
  ],
  ["a reserved address", blockListOf([["240.0.0.0", 4, "ipv4"]])],
];

/** Reachable only with WEBHOOK_ALLOW_PRIVATE_TARGETS. */
const LOOPBACK = blockListOf([
  ["127.0.0.0", 8, "ipv4"],
  ["::1", 128, "ipv6"],
]);
const PRIVATE: ReadonlyArray<readonly [string, BlockList]> = [
  ["a loopback address", LOOPBACK],
  [
    "a private address",
    blockListOf([
      ["10.0.0.0", 8, "ipv4"],
      ["172.16.0.0", 12, "ipv4"],
      ["192.168.0.0", 16, "ipv4"],
      ["100.64.0.0", 10, "ipv4"], // carrier-grade NAT, private in practice
      ["fc00::", 7, "ipv6"],
    ]),
  ],
];

function familyOf(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** `[::1]` → `::1`: URL keeps IPv6 hosts in brackets. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/**
 * Why `address` (an IP) on `port` may not be called, or null when it may. The platform's own
 * port on a loopback or unspecified address is the platform itself, refused even when private
 * targets are allowed.
 */
export function refusalOfAddress(address: string, port: number, policy: TWebhookTargetPolicy): string | null {
  const family = familyOf(address);
  for (const [what, list] of NEVER) if (list.check(address, family)) return `${address} is ${what}`;
  const platform = new URL(policy.platformUrl);
  if (LOOPBACK.check(address, family) && port === defaultPort(platform) && policy.allowPrivateTargets) {
    return `${address}:${port} is this platform's own listener`;
  }
  if (policy.allowPrivateTargets) return null;
  for (const [what, list] of PRIVATE) {
    if (list.check(address, family))
      return `${address} is ${what} (an operator may allow these with WEBHOOK_ALLOW_PRIVATE_TARGETS)`;
  }
  return null;
}

/**
 * The URL's form: http(s) only, no credentials in it, not the platform's own host and port.
 * Throws WebhookTargetRefused with the reason; returns the parsed URL.
 */
export function checkWebhookUrl(raw: string, policy: TWebhookTargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefused("is not a valid URL (expected https://host/path)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new WebhookTargetRefused(`must be an http or https URL, not ${url.protocol.replace(/:$/, "")}`);
  }
  if (url.username || url.password) {
    throw new WebhookTargetRefused("must not carry a user name or password; the signature authenticates deliveries");
  }
  const platform = new URL(policy.platformUrl);
  if (bareHost(url) === bareHost(platform) && defaultPort(url) === defaultPort(platform)) {
    throw new WebhookTargetRefused(`points at this platform itself (${url.host})`);
  }
  const host = bareHost(url);
  if (isIP(host)) {
    const why = refusalOfAddress(host, defaultPort(url), policy);
    if (why) throw new WebhookTargetRefused(`is refused: ${why}`);
  }
  return url;
}

export interface TResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves the URL's host and checks every address it has (a host with one bad address is refused). */
export async function resolveWebhookTarget(
  url: URL,
  policy: TWebhookTargetPolicy,
  options: { timeoutMs?: number } = {},
): Promise<TResolvedAddress[]> {
  const host = bareHost(url);
  const port = defaultPort(url);
  let addresses: TResolvedAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  else {
    let timer: NodeJS.Timeout | undefined;
    // getaddrinfo has no timeout of its own; 5 s bounds a dead resolver.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WebhookTargetRefused(`${host} did not resolve in time`)), options.timeoutMs ?? 5_000);
    });
    try {
      const found = await Promise.race([dnsLookup(host, { all: true, verbatim: true }), timeout]);
      addresses = found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch (err) {
      if (err instanceof WebhookTargetRefused) throw err;
      throw new WebhookTargetRefused(`${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new WebhookTargetRefused(`${host} does not resolve`);
  for (const a of addresses) {
    const why = refusalOfAddress(a.address, port, policy);
    if (why) throw new WebhookTargetRefused(`is refused: ${host === a.address ? why : `${host} resolves to ${why}`}`);
  }
  return addresses;
}

import { isIP } from "node:net";

/**
 * Why the gateway must not send requests to the URL an agent reported for its replica, or null.
 * The gateway calls that URL from the server's network with the replica's secret and streams the
 * answer to whoever holds an endpoint key, so an agent (any member's) must not aim it at the
 * server's own cloud metadata service (S9): link-local addresses (169.254.0.0/16, fe80::/10,
 * where AWS, GCP and Azure serve instance credentials), the unspecified address and the
 * metadata host names are refused, as are credentials, a path, a query or a non-http scheme.
 * Loopback and private addresses stay allowed: replicas are reached over the agent's machine
 * or a pod network by design. A DNS name is checked as written, not as it resolves.
 */
export function replicaUrlRefusal(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be http:// or https://";
  if (url.username || url.password) return "must not carry credentials";
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash)
    return "must be an origin (no path, query or fragment)";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "metadata.google.internal" || host === "metadata" || host.endsWith(".metadata.google.internal")) {
    return "must not name a cloud metadata service";
  }
  const kind = isIP(host);
  if (kind === 4 && (/^169\.254\./.test(host) || host === "0.0.0.0")) return "must not be a link-local or unspecified address";
  // An IPv4-mapped address is normalised by URL to hex (::ffff:a9fe:…), so 169.254/16 reads a9fe.
  if (kind === 6 && (/^fe[89ab][0-9a-f]:/.test(host) || host === "::" || /^::ffff:(a9fe:|169\.254\.)/.test(host))) {
    return "must not be a link-local or unspecified address";
  }
  return null;
}

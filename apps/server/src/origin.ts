/**
 * Which browser origins may talk to this server (S5). A browser always sends `Origin` on a
 * cross-origin POST and on a WebSocket/polling handshake, so comparing it against the
 * server's own origins refuses CSRF and cross-site sockets without breaking `curl` or the
 * SDK (which send no Origin and authenticate with a bearer token, not a cookie).
 */
export function buildAllowedOrigins(publicUrl: string, extra: string, host: string, port: number): Set<string> {
  const out = new Set<string>();
  out.add(new URL(publicUrl).origin);
  for (const o of extra
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean))
    out.add(new URL(o).origin);
  // The listening address itself, and the loopback aliases for it.
  const loopback = host === "127.0.0.1" || host === "localhost" || host === "::1" || host === "0.0.0.0" || host === "::";
  const hosts = loopback ? ["127.0.0.1", "localhost", "[::1]"] : [host];
  for (const h of hosts) out.add(`http://${h}:${port}`);
  return out;
}

export function isAllowedOrigin(allowed: Set<string>, origin: string | undefined): boolean {
  if (!origin) return false;
  try {
    return allowed.has(new URL(origin).origin);
  } catch {
    return false;
  }
}

/**
 * The bounded label values of HTTP requests: a route class (never the raw path, which holds
 * ids and whatever a client sends) and a method out of a fixed list.
 */
const EXACT = new Set(["/healthz", "/livez", "/metrics"]);
const PREFIXES = ["/api/trpc", "/api/auth", "/api", "/serve", "/_next"] as const;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** `/api/trpc`, `/api/auth`, `/api`, `/serve`, `/_next`, `/healthz`, `/livez`, `/metrics`, or `next` (a dashboard page). */
export function routeClassOf(pathname: string): string {
  if (EXACT.has(pathname)) return pathname;
  for (const p of PREFIXES) if (pathname === p || pathname.startsWith(`${p}/`)) return p;
  return "next";
}

export function methodClassOf(method: string | undefined): string {
  const m = (method ?? "GET").toUpperCase();
  return METHODS.has(m) ? m : "other";
}

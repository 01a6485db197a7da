import type { ServerResponse } from "node:http";

/**
 * `/livez`: the process answers HTTP. It never touches the database (that is `/healthz`, the
 * readiness check): a PostgreSQL outage takes replicas out of the load balancer without the
 * orchestrator restarting every one of them at once. It answers from the moment the port
 * listens, before the dashboard is prepared.
 */
export function sendLiveness(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify({ ok: true }));
}

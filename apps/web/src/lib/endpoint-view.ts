import type { RouterOutputs } from "./trpc";

export type TEndpointDetail = RouterOutputs["endpoint"]["get"];
export type TEndpointReplica = TEndpointDetail["replicas"][number];

/** An endpoint's page path; names follow the model names' rule (`[A-Za-z0-9._-]`), encoded anyway. */
export function endpointPagePath(name: string): string {
  return `/endpoints/${encodeURIComponent(name)}`;
}

/** The endpoint URL as a caller types it: the API gives a path when the server's PUBLIC_URL is unset. */
export function absoluteUrl(url: string, origin: string): string {
  return /^https?:\/\//.test(url) ? url : `${origin}${url}`;
}

/**
 * Where a rollout of `version` stands: ready once a replica of it is, failed when none of its
 * replicas is still pending or starting and one failed (its reason), else waiting.
 */
export function rolloutOf(
  replicas: Array<Pick<TEndpointReplica, "version" | "state" | "reason" | "agent">>,
  version: number,
): { phase: "ready" | "failed" | "waiting"; text: string } {
  const mine = replicas.filter((r) => r.version === version && r.state !== "stopped");
  if (mine.some((r) => r.state === "ready")) return { phase: "ready", text: "A replica is ready." };
  const live = mine.filter((r) => r.state === "pending" || r.state === "starting");
  const failed = mine.find((r) => r.state === "failed");
  if (live.length === 0 && failed) return { phase: "failed", text: failed.reason ?? "The replica failed to start." };
  const starting = live.find((r) => r.state === "starting");
  if (starting) return { phase: "waiting", text: `Starting on ${starting.agent ?? "an agent"}: loading the model…` };
  return { phase: "waiting", text: "Waiting for an agent of the team with room…" };
}

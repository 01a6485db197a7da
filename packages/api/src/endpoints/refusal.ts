import { z } from "zod";
import { MAX_REPLICA_FAILURES_PER_HOUR } from "@autoglm/protocol";

/**
 * The endpoint's target version did not come up: its replicas failed (a file whose digest does
 * not match, a model that does not load, a server that never became healthy) and none is ready.
 * The replicas of the version before it keep serving meanwhile.
 */
export const ZEndpointRefusal = z.object({
  version: z.number().int(),
  /** The latest failure's reason, e.g. `refused to load m version 2: file "model.json": …`. */
  reason: z.string(),
  /** Failures of this version in the last hour (lost agents not counted). */
  failures: z.number().int(),
  /** The platform has stopped starting it and tries again at this time (as failures age past the hour); null while it still tries. */
  retryAt: z.string().nullable(),
});
export type TEndpointRefusal = z.infer<typeof ZEndpointRefusal>;

interface TReplicaLike {
  version: number;
  state: string;
  reason: string | null;
  endedAt: Date | null;
}

const HOUR_MS = 3_600_000;

/** What the reconciler counts (listServingStateAll): failed in the last hour for a reason of its own, not a lost agent. */
function isCounted(r: TReplicaLike, version: number, nowMs: number): r is TReplicaLike & { endedAt: Date } {
  return (
    r.version === version &&
    r.state === "failed" &&
    r.endedAt !== null &&
    r.endedAt.getTime() > nowMs - HOUR_MS &&
    !(r.reason ?? "").startsWith("AGENT_LOST")
  );
}

export function refusalOf(targetVersion: number | null, replicas: TReplicaLike[], nowMs = Date.now()): TEndpointRefusal | null {
  if (targetVersion === null) return null;
  if (replicas.some((r) => r.version === targetVersion && r.state === "ready")) return null;
  const failed = replicas
    .filter((r) => isCounted(r, targetVersion, nowMs))
    .sort((a, b) => a.endedAt.getTime() - b.endedAt.getTime());
  const latest = failed.at(-1);
  if (!latest) return null;
  // Starting more resumes once fewer than the limit remain in the hour: when the (n - limit + 1)th newest failure ages out.
  const gate = failed.length >= MAX_REPLICA_FAILURES_PER_HOUR ? failed[failed.length - MAX_REPLICA_FAILURES_PER_HOUR] : undefined;
  return {
    version: targetVersion,
    reason: latest.reason ?? "failed",
    failures: failed.length,
    retryAt: gate ? new Date(gate.endedAt.getTime() + HOUR_MS).toISOString() : null,
  };
}

import type { TLiveReplica, TServingEndpoint } from "@autoglm/db/queries";

/** What one reconciler pass does to one endpoint. */
export interface TEndpointPlan {
  /** New pending replicas of the target version. */
  add: number;
  /** Replicas to retire: pending ones stop at once, live ones drain. */
  retire: string[];
}

const ACTIVE = new Set(["pending", "starting", "ready"]);
/** Which of a version's surplus replicas go first: those doing least (pending), ready ones last. */
const RETIRE_ORDER: Record<string, number> = { pending: 0, starting: 1, ready: 2 };

/** What the autoscaler decided for the endpoint: how many replicas, and each replica's recent load. */
export interface TPlanScale {
  desired: number;
  replicaLoad?: Record<string, number>;
}

/**
 * Pure: the desired state of one endpoint against its live replicas. Keep `scale.desired` (the
 * autoscaler's count, `minReplicas` without one) of the target version; the old version's
 * replicas retire only once that many new ones are READY (readiness-gated rollout, R13: traffic
 * never has nowhere to go, and a rollout keeps the scaled count), except pending ones, which
 * never served. A surplus retires those doing least first: pending, starting, then the ready
 * replica with the fewest requests in flight (it drains soonest). A version that failed
 * `maxFailures` times in the hour gets no new replicas (the old ones keep serving). A deleted
 * endpoint retires everything; an alias that names nothing leaves what serves alone.
 */
export function planEndpoint(
  ep: TServingEndpoint,
  replicas: TLiveReplica[],
  maxFailures: number,
  scale: TPlanScale = { desired: ep.minReplicas },
): TEndpointPlan {
  const active = replicas.filter((r) => ACTIVE.has(r.state));
  if (ep.isDeleted) return { add: 0, retire: active.map((r) => r.id) };
  if (!ep.targetVersionId) return { add: 0, retire: [] };
  const want = scale.desired;
  const current = active.filter((r) => r.versionId === ep.targetVersionId);
  const old = active.filter((r) => r.versionId !== ep.targetVersionId);
  const canAdd = ep.recentFailures < maxFailures;
  const add = canAdd ? Math.max(0, want - current.length) : 0;
  const load = (r: TLiveReplica) => scale.replicaLoad?.[r.id] ?? 0;
  const surplus = [...current]
    .sort((a, b) => RETIRE_ORDER[a.state]! - RETIRE_ORDER[b.state]! || load(a) - load(b))
    .slice(0, Math.max(0, current.length - want));
  const ready = current.filter((r) => r.state === "ready" && !surplus.includes(r)).length;
  const oldGoes = ready >= want ? old : old.filter((r) => r.state === "pending");
  return { add, retire: [...surplus, ...oldGoes].map((r) => r.id) };
}

import { z } from "zod";
import { ENDPOINT_LOAD_FRESH_MS, findEndpointLoad, type DbOrTx, type TEndpointRow, type TenantScope } from "@autoglm/db/queries";

/** One point of the endpoint's recent scaling (the run loop's in-memory history, one per reconciler pass). */
export const ZScalePoint = z.object({
  at: z.string(),
  concurrency: z.number(),
  rps: z.number(),
  desired: z.number().int(),
  ready: z.number().int(),
});
export type TScalePoint = z.infer<typeof ZScalePoint>;

export const ZEndpointScaling = z.object({
  /** In-flight requests now, summed over the servers' last reports. */
  concurrency: z.number(),
  rps: z.number(),
  /** The replica count the autoscaler keeps. */
  desiredReplicas: z.number().int(),
  /** Why: "scaled to 3: concurrency 11.2 over target 4", with a pending scale-down or replicas waiting for room. */
  reason: z.string(),
  /** Oldest first; empty where no run loop runs in this process. */
  history: z.array(ZScalePoint),
});
export type TEndpointScaling = z.infer<typeof ZEndpointScaling>;

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

/** The sentence the endpoint page shows under its replica count. */
export function scalingReason(e: TEndpointRow, input: { concurrency: number; pending: number; nowMs: number }): string {
  const parts = [e.scaleReason ?? `at minReplicas ${e.minReplicas}: the load needs no more`];
  const asks = Math.ceil(input.concurrency / e.targetConcurrency - 1e-9);
  if (asks > e.maxReplicas) parts.push(`capped at maxReplicas ${e.maxReplicas} (the load asks for ${asks})`);
  if (e.scaleLowSince) {
    const left = Math.max(0, Math.ceil((e.scaleDownDelayMs - (input.nowMs - e.scaleLowSince.getTime())) / 1000));
    parts.push(`the load needs fewer now: scaling down in ${left} s unless it returns`);
  }
  if (input.pending > 0) {
    parts.push(`${input.pending} replica${input.pending === 1 ? "" : "s"} waiting for an agent with room`);
  }
  return parts.join("; ");
}

/** The autoscaler's last count, held between min and max (a min/max change may have moved past it). */
export function desiredReplicasOf(e: Pick<TEndpointRow, "desiredReplicas" | "minReplicas" | "maxReplicas">): number {
  return clamp(e.desiredReplicas ?? e.minReplicas, e.minReplicas, e.maxReplicas);
}

export async function endpointScaling(
  db: DbOrTx,
  scope: TenantScope,
  e: TEndpointRow,
  input: { pending: number; history: TScalePoint[] },
): Promise<TEndpointScaling> {
  const load = await findEndpointLoad(db, scope, { endpointId: e.id, freshMs: ENDPOINT_LOAD_FRESH_MS });
  const desired = desiredReplicasOf(e);
  return {
    concurrency: load.concurrency,
    rps: load.rps,
    desiredReplicas: desired,
    reason: scalingReason(e, { concurrency: load.concurrency, pending: input.pending, nowMs: Date.now() }),
    history: input.history,
  };
}

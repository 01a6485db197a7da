import {
  applyScaleDecisionById,
  listEndpointLoadAll,
  pruneEndpointLoadAll,
  type SqlDb,
  type TLiveReplica,
  type TServingEndpoint,
} from "@autoglm/db/queries";
import type { Logger } from "@autoglm/protocol";
import { decideScale, sameScaleState } from "./autoscale-policy.js";
import type { ServingConfig } from "./serving-config.js";

/** One point of an endpoint's recent scaling, for the endpoint page's chart. */
export interface TScalePoint {
  at: string;
  concurrency: number;
  rps: number;
  desired: number;
  ready: number;
}

/** What the reconciler's plan needs from the autoscaler for one endpoint. */
export interface TScaleOutcome {
  desired: number;
  /** Average in-flight requests per replica (summed over servers): scale-downs drain the least loaded. */
  replicaLoad: Record<string, number>;
}

/**
 * The autoscaler's half of a reconciler pass: reads the servers' summed fresh load, decides
 * each live endpoint's replica count (autoscale-policy.ts), writes changed decisions (fenced by
 * the state it read, so two servers deciding at once write once), logs every scale event, and
 * keeps the last `historyPoints` points per endpoint in memory for the chart. Every server runs
 * the same passes over the same rows, so any server's history shows the same curve.
 */
export class EndpointAutoscaler {
  private readonly history = new Map<string, TScalePoint[]>();
  private lastPruneMs = 0;

  constructor(private readonly deps: { db: SqlDb; logger: Logger; config: ServingConfig }) {}

  async scale(endpoints: readonly TServingEndpoint[], replicas: readonly TLiveReplica[]): Promise<Map<string, TScaleOutcome>> {
    const { db, config } = this.deps;
    const { nowMs, loads } = await listEndpointLoadAll(db, { freshMs: config.loadFreshMs });
    await this.prune(nowMs);
    const out = new Map<string, TScaleOutcome>();
    for (const ep of endpoints) {
      if (ep.isDeleted) continue;
      const load = loads.get(ep.id) ?? { concurrency: 0, rps: 0, replicaLoad: {}, servers: 0 };
      const state = { desiredReplicas: ep.desiredReplicas, lowSinceMs: ep.scaleLowSinceMs, lowPeak: ep.scaleLowPeak };
      const d = decideScale({ ...ep, state, load, nowMs });
      if (!sameScaleState(state, d.next)) {
        const written = await applyScaleDecisionById(db, { endpointId: ep.id, expected: state, next: d.next, reason: d.event });
        if (written && d.event) {
          this.deps.logger.info("endpoint scaled", { endpointId: ep.id, endpoint: ep.name, replicas: d.desired, why: d.event });
        }
      }
      out.set(ep.id, { desired: d.desired, replicaLoad: load.replicaLoad });
      const ready = replicas.filter((r) => r.endpointId === ep.id && r.state === "ready").length;
      this.record(ep.id, {
        at: new Date(nowMs).toISOString(),
        concurrency: load.concurrency,
        rps: load.rps,
        desired: d.desired,
        ready,
      });
    }
    for (const id of this.history.keys()) if (!out.has(id)) this.history.delete(id);
    return out;
  }

  /** The endpoint's recent points, oldest first (empty after this server started, until its first passes). */
  historyOf(endpointId: string): TScalePoint[] {
    return [...(this.history.get(endpointId) ?? [])];
  }

  private record(endpointId: string, point: TScalePoint): void {
    const ring = this.history.get(endpointId) ?? [];
    ring.push(point);
    if (ring.length > this.deps.config.historyPoints) ring.shift();
    this.history.set(endpointId, ring);
  }

  private async prune(nowMs: number): Promise<void> {
    if (nowMs - this.lastPruneMs < this.deps.config.loadPruneMs) return;
    this.lastPruneMs = nowMs;
    await pruneEndpointLoadAll(this.deps.db, { olderThanMs: this.deps.config.loadPruneMs });
  }
}

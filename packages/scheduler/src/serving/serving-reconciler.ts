import type { DbHandle } from "@autoglm/db/client";
import {
  endReplicaById,
  expireReplicaLeasesAll,
  listServingStateAll,
  placeReplicaById,
  retireReplicaById,
  retireSurplusReplicaById,
  topUpReplicasById,
  unplaceReplicaById,
  type TLiveReplica,
  type TPlacedReplica,
  type TServingEndpoint,
} from "@autoglm/db/queries";
import {
  PROTOCOL_VERSION,
  ZReplicaFlavor,
  ZReplicaStartAck,
  type Logger,
  type TReplicaStart,
  type TReplicaStop,
} from "@autoglm/protocol";
import { agentRoom, type AgentNamespace } from "../gateway/agent-namespace.js";
import type { AgentRegistry } from "../gateway/agent-registry.js";
import { replicaSecretOf } from "./replica-secret.js";
import { replicaServeOf } from "./replica-serve.js";
import type { ServingConfig } from "./serving-config.js";
import { EndpointAutoscaler, type TScaleOutcome, type TScalePoint } from "./endpoint-autoscaler.js";
import { planEndpoint } from "./serving-plan.js";

/** Why a replica drains: the endpoint is gone, its version was replaced, or the autoscaler needs fewer. */
function retireReason(ep: TServingEndpoint, replicas: readonly TLiveReplica[], replicaId: string): string {
  if (ep.isDeleted) return "the endpoint was deleted";
  const r = replicas.find((x) => x.id === replicaId);
  return r && r.versionId === ep.targetVersionId ? "scaled down: the load needs fewer replicas" : "replaced by a newer version";
}

export interface ServingReconcilerDeps {
  db: DbHandle;
  logger: Logger;
  namespace: AgentNamespace;
  registry: AgentRegistry;
  config: ServingConfig;
  /** The key replica secrets are derived from (replica-secret.ts). */
  serverKey: string;
  nowMs: () => number;
}

/**
 * Keeps every endpoint's replicas where its alias (or fixed version) says, on the agents
 * connected to this process: a timer every `intervalMs` plus a nudge on every change (an
 * endpoint or alias moved, a replica became ready or ended). One pass: sweep lapsed replica
 * leases (their agent died: replaced in the same pass, so within T + interval ≤ 2T, R14), plan
 * each endpoint (serving-plan.ts), retire, then place pending replicas and send `replica:start`.
 * Postgres holds the state; passes never overlap, and a nudge during a pass runs one more.
 */
export class ServingReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly startedAt: number;
  private readonly autoscaler: EndpointAutoscaler;

  constructor(private readonly deps: ServingReconcilerDeps) {
    this.startedAt = deps.nowMs();
    this.autoscaler = new EndpointAutoscaler(deps);
  }

  /** The endpoint's recent concurrency, rps and replica counts as this server's passes saw them (the page's chart). */
  scaleHistory(endpointId: string): TScalePoint[] {
    return this.autoscaler.historyOf(endpointId);
  }

  start(): this {
    this.timer = setInterval(() => this.nudge(), this.deps.config.intervalMs).unref();
    return this;
  }

  /** Runs a pass now (or right after the one running). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** One pass, awaited (tests; the timer uses nudge). */
  async runOnce(): Promise<void> {
    this.nudge();
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.deps.logger.error("serving reconciler pass failed", { error: String(err) });
      }
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    const { db, config } = this.deps;
    if (this.deps.nowMs() - this.startedAt >= config.startupGraceMs) {
      for (const r of await expireReplicaLeasesAll(db)) this.deps.logger.warn("replica lease lapsed", { replicaId: r.id });
    }
    const before = await listServingStateAll(db);
    const scaled = await this.autoscaler.scale(before.endpoints, before.replicas);
    for (const ep of before.endpoints) await this.reconcile(ep, before.replicas, scaled.get(ep.id));
    const after = await listServingStateAll(db);
    for (const r of after.replicas) if (r.state === "pending") await this.place(r.id);
  }

  /**
   * One endpoint's plan, applied: new replicas top the target version up to the desired count,
   * and a scale-down drains a replica only while the version keeps more than that (both under
   * the endpoint's row lock, so reconcilers on several servers never add or drain twice).
   */
  private async reconcile(ep: TServingEndpoint, all: readonly TLiveReplica[], scale: TScaleOutcome | undefined): Promise<void> {
    const replicas = all.filter((r) => r.endpointId === ep.id);
    const want = scale?.desired ?? ep.minReplicas;
    const plan = planEndpoint(ep, replicas, this.deps.config.maxFailuresPerHour, { ...scale, desired: want });
    if (plan.add > 0 && ep.targetVersionId) {
      await topUpReplicasById(this.deps.db, { endpointId: ep.id, versionId: ep.targetVersionId, upTo: want });
    }
    for (const id of plan.retire) {
      const r = replicas.find((x) => x.id === id);
      const surplus = !ep.isDeleted && r?.versionId === ep.targetVersionId;
      await this.retire(
        id,
        retireReason(ep, replicas, id),
        surplus ? { endpointId: ep.id, versionId: r.versionId, keep: want } : null,
      );
    }
  }

  /** The agents this process can send `replica:start` to now. */
  private placeableAgents(): string[] {
    return this.deps.registry
      .entries()
      .filter(([id, a]) => !a.draining && this.deps.registry.isCurrent(id, a))
      .map(([id]) => id);
  }

  private async place(replicaId: string): Promise<void> {
    const agentIds = this.placeableAgents();
    if (agentIds.length === 0) return;
    const placed = await placeReplicaById(this.deps.db, { replicaId, agentIds, leaseTtlMs: this.deps.config.leaseTtlMs });
    if (!placed) return;
    const flavor = ZReplicaFlavor.safeParse(placed.model.flavor);
    const serve = flavor.success ? replicaServeOf(flavor.data, placed.model.serve) : null;
    if (!flavor.success || !serve || "refused" in serve) {
      await endReplicaById(this.deps.db, {
        ...placed,
        outcome: "failed",
        reason:
          serve && "refused" in serve
            ? serve.refused
            : `UNSERVABLE_FLAVOR: model versions of flavor "${placed.model.flavor}" cannot be served (builtin-mlp, builtin-glm, onnx or command can)`,
      });
      return;
    }
    if (!(await this.sendStart(placed, this.startPayload(placed, flavor.data, serve.serve)))) {
      await unplaceReplicaById(this.deps.db, placed);
    }
  }

  private startPayload(
    p: TPlacedReplica,
    flavor: TReplicaStart["model"]["flavor"],
    serve: TReplicaStart["model"]["serve"],
  ): TReplicaStart {
    const resources = p.resources as { gpus?: number; memory_gb?: number; labels?: Record<string, string> };
    const { serve: _recorded, ...model } = p.model;
    return {
      v: PROTOCOL_VERSION,
      replicaId: p.replicaId,
      leaseToken: p.leaseToken,
      endpoint: p.endpoint,
      model: { ...model, flavor, ...(serve ? { serve } : {}) },
      secret: replicaSecretOf(this.deps.serverKey, p.replicaId),
      resources: { ...resources, gpus: resources.gpus ?? 0 },
      leaseExpiresAt: p.leaseExpiresAt,
    };
  }

  /** Whether the agent took the replica (an explicit accepted ack); a refusal, error or timeout is a no. */
  private async sendStart(p: TPlacedReplica, payload: TReplicaStart): Promise<boolean> {
    const agent = this.deps.registry.get(p.agentId);
    if (!agent) return false;
    try {
      const ack = await agent.socket.timeout(this.deps.config.ackTimeoutMs).emitWithAck("replica:start", payload);
      const parsed = ZReplicaStartAck.safeParse(ack);
      if (parsed.success && parsed.data.ok && parsed.data.accepted) return true;
      const why = parsed.success && parsed.data.ok ? parsed.data.reason : "an error ack";
      this.deps.logger.info("agent declined a replica", { agentId: p.agentId, replicaId: p.replicaId, reason: why });
    } catch {
      this.deps.logger.warn("agent did not acknowledge replica:start", { agentId: p.agentId, replicaId: p.replicaId });
    }
    return false;
  }

  /** `surplus`: a scale-down, which leaves `keep` replicas of the version whatever other servers drain. */
  private async retire(
    replicaId: string,
    reason: string,
    surplus: { endpointId: string; versionId: string; keep: number } | null,
  ): Promise<void> {
    const drained = `DRAINED: ${reason}`;
    const live = surplus
      ? await retireSurplusReplicaById(this.deps.db, { ...surplus, replicaId, reason: drained })
      : await retireReplicaById(this.deps.db, { replicaId, reason: drained });
    if (!live) return;
    const stop: TReplicaStop = {
      v: PROTOCOL_VERSION,
      replicaId,
      leaseToken: live.leaseToken,
      graceMs: this.deps.config.drainGraceMs,
      reason,
    };
    agentRoom(this.deps.namespace, live.agentId).emit("replica:stop", stop);
  }
}

import { endReplicaById, markReplicaReadyById, renewReplicaLeasesById, type TReplicaClaim } from "@autoglm/db/queries";
import type { TReplicaAck, TReplicaEnded, TReplicaReady } from "@autoglm/protocol";
import type { GatewayParts } from "../gateway/gateway-parts.js";
import { replicaUrlRefusal } from "./replica-url.js";

/**
 * `replica:ready`: the replica passed its readiness check (model loaded, one warm-up inference)
 * and takes traffic from now on; the reconciler runs at once to drain what it replaces.
 * `known: false` tells the agent the lease is not its any more (stop the replica).
 */
export async function replicaReady(parts: GatewayParts, msg: TReplicaReady, agentId: string): Promise<TReplicaAck> {
  const refusal = replicaUrlRefusal(msg.url);
  if (refusal) {
    // The replica ends failed (its reason on the endpoint page); the agent learns it is not its lease any more.
    const reason = `REPLICA_URL_REFUSED: the replica's URL ${refusal}`;
    await endReplicaById(parts.db, { ...msg, agentId, outcome: "failed", reason });
    parts.logger.warn("replica url refused", { agentId, replicaId: msg.replicaId, refusal });
    parts.serving.reconciler.nudge();
    return { ok: true, known: false };
  }
  const r = await markReplicaReadyById(parts.db, {
    agentId,
    replicaId: msg.replicaId,
    leaseToken: msg.leaseToken,
    url: msg.url,
    gpus: msg.gpus,
    leaseTtlMs: parts.serving.config.leaseTtlMs,
  });
  if (r.held) {
    parts.logger.info("replica ready", { agentId, replicaId: msg.replicaId, endpointId: r.endpointId });
    parts.serving.reconciler.nudge();
  }
  return { ok: true, known: r.held };
}

/** `replica:ended`: stopped (asked to) or failed (its reason kept for the endpoint page); the reconciler replaces it. */
export async function replicaEnded(parts: GatewayParts, msg: TReplicaEnded, agentId: string): Promise<TReplicaAck> {
  const known = await endReplicaById(parts.db, {
    agentId,
    replicaId: msg.replicaId,
    leaseToken: msg.leaseToken,
    outcome: msg.outcome,
    reason: msg.reason ?? null,
  });
  if (known) {
    const log = msg.outcome === "failed" ? parts.logger.warn : parts.logger.info;
    log.call(parts.logger, "replica ended", { agentId, replicaId: msg.replicaId, outcome: msg.outcome });
    parts.serving.reconciler.nudge();
  }
  return { ok: true, known };
}

/** The replicas an agent reports in a heartbeat or at registration: renewed, or returned as stale (stop them). */
export async function renewReplicas(
  parts: GatewayParts,
  agentId: string,
  claims: TReplicaClaim[] | undefined,
): Promise<string[]> {
  if (!claims || claims.length === 0) return [];
  const { stale } = await renewReplicaLeasesById(parts.db, {
    agentId,
    held: claims,
    leaseTtlMs: parts.serving.config.leaseTtlMs,
  });
  return stale;
}

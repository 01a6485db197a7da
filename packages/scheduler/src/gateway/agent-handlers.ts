import {
  ZAgentHeartbeat,
  ZAgentReady,
  ZAgentRegister,
  ZTrialComplete,
  ZTrialMetric,
  ZReplicaEnded,
  ZReplicaReady,
  ackError,
  type AgentToServerEvents,
  type TAckError,
  type TAgentEventName,
  type TAgentHeartbeat,
  type TAgentReady,
  type TAgentRegister,
  type TTrialComplete,
  type TTrialMetric,
} from "@autoglm/protocol";
import { recordAgentMetrics } from "../agent-metrics.js";
import { registerAgent } from "../agent-register.js";
import { canAgentAct, isAgentTokenLive } from "../agent-token.js";
import { recordHeartbeat } from "../heartbeat.js";
import { renewReplicas, replicaEnded, replicaReady } from "../serving/replica-handlers.js";
import { agentEvent, type TAgentEventHandler } from "./agent-event.js";
import type { AgentSocket } from "./agent-namespace.js";
import type { GatewayParts } from "./gateway-parts.js";

/** The ack an agent event expects (the protocol's event map says). */
export type AckOf<E extends TAgentEventName> = Parameters<Parameters<AgentToServerEvents[E]>[1]>[0];

/** One connection as its handlers see it. */
export interface TAgentConnection {
  socket: AgentSocket;
  orgId: string;
  /** Ends a connection whose token can no longer act, and says why. */
  refuse(): TAckError;
  /** When the connection's token was last checked (heartbeats re-check it every tokenRecheckMs). */
  tokenCheckedAt: number;
}

export type TAgentHandlers = { [E in TAgentEventName]: TAgentEventHandler<AckOf<E>> };

/** The handlers of one connection, one per event of the protocol's AgentToServerEvents. */
export function agentHandlers(parts: GatewayParts, conn: TAgentConnection): TAgentHandlers {
  return {
    "agent:register": agentEvent(ZAgentRegister, false, (msg) => register(parts, conn, msg)),
    "agent:heartbeat": agentEvent(ZAgentHeartbeat, true, (msg, agentId) => heartbeat(parts, conn, msg, agentId)),
    "agent:ready": agentEvent(ZAgentReady, true, (msg, agentId) => ready(parts, msg, agentId)),
    "trial:metric": agentEvent(ZTrialMetric, true, (msg, agentId) => metric(parts, conn, msg, agentId)),
    "trial:complete": agentEvent(ZTrialComplete, true, (msg, agentId) => complete(parts, conn, msg, agentId)),
    "replica:ready": agentEvent(ZReplicaReady, true, (msg, agentId) => replicaReady(parts, msg, agentId)),
    "replica:ended": agentEvent(ZReplicaEnded, true, (msg, agentId) => replicaEnded(parts, msg, agentId)),
  };
}

async function register(parts: GatewayParts, conn: TAgentConnection, msg: TAgentRegister): Promise<AckOf<"agent:register">> {
  const { socket, orgId } = conn;
  const { config, logger, registry, pump } = parts;
  if (socket.data.agentId) return ackError("OUT_OF_ORDER", "this connection is already registered");
  const r = await registerAgent(parts.lifecycle, {
    orgId,
    tokenId: socket.data.tokenId,
    msg,
    leaseTtlMs: config.leaseTtlMs,
    offering: (agentId) => pump.offeringTo(agentId),
    unsent: (leaseToken) => pump.isUnsent(leaseToken),
  });
  if (!r.ok && r.code === "UNAUTHORIZED") return conn.refuse();
  if (!r.ok) {
    logger.warn("agent registration refused", { agentName: msg.name, code: r.code });
    return ackError(r.code, r.message);
  }
  socket.data.agentId = r.agentId;
  const adopted = msg.running.map((x) => x.trialId).filter((id) => !r.stale.includes(id));
  registry.add(r.agentId, {
    socket,
    orgId,
    maxTrials: msg.maxTrials,
    paused: false,
    lastSeen: parts.nowMs(),
    starved: false,
    draining: false,
    metricOf: new Map(),
    running: new Set(adopted),
  });
  await socket.join(`agent:${r.agentId}`);
  for (const e of r.lost) parts.ends.afterEnd(e, { signalAgent: false });
  // Replicas it still runs are adopted like its trials; the others it stops.
  const staleReplicas = await renewReplicas(parts, r.agentId, msg.replicas);
  logger.info("agent registered", {
    agentId: r.agentId,
    agentName: msg.name,
    gpus: msg.gpus.length,
    adopted: msg.running.length - r.stale.length,
  });
  // Offer work after the ack has gone out, so the agent knows its id first.
  setImmediate(() => {
    void pump.offer(r.agentId);
    parts.serving.reconciler.nudge();
  });
  return {
    ok: true,
    agentId: r.agentId,
    orgId,
    heartbeatMs: config.heartbeatMs,
    leaseTtlMs: config.leaseTtlMs,
    stale: r.stale,
    ...(msg.replicas ? { staleReplicas } : {}),
  };
}

async function heartbeat(
  parts: GatewayParts,
  conn: TAgentConnection,
  msg: TAgentHeartbeat,
  agentId: string,
): Promise<AckOf<"agent:heartbeat">> {
  const { db, config } = parts;
  if (parts.nowMs() - conn.tokenCheckedAt > config.tokenRecheckMs && conn.socket.data.tokenId) {
    conn.tokenCheckedAt = parts.nowMs();
    if (!(await isAgentTokenLive(db, conn.socket.data.tokenId))) return conn.refuse();
  }
  const r = await recordHeartbeat(parts.lifecycle, {
    agentId,
    running: msg.running,
    leaseTtlMs: config.leaseTtlMs,
    gpuUse: msg.gpuUse,
  });
  const agent = parts.registry.get(agentId);
  if (agent) {
    agent.running = new Set(msg.running.map((x) => x.trialId).filter((id) => !r.stale.includes(id)));
    for (const id of agent.metricOf.keys()) if (!agent.running.has(id)) agent.metricOf.delete(id);
  }
  for (const e of r.ended) parts.ends.afterEnd(e, { signalAgent: false });
  const staleReplicas = await renewReplicas(parts, agentId, msg.replicas);
  return { ok: true, stale: r.stale, ...(msg.replicas ? { staleReplicas } : {}) };
}

async function ready(parts: GatewayParts, msg: TAgentReady, agentId: string): Promise<AckOf<"agent:ready">> {
  const agent = parts.registry.get(agentId);
  if (agent && msg.freeSlots > 0) {
    agent.paused = false;
    agent.starved = false;
  } else if (agent) {
    // freeSlots 0: the agent is draining (graceful shutdown) — offer it nothing.
    agent.draining = true;
    return { ok: true };
  }
  void parts.pump.offer(agentId);
  return { ok: true };
}

async function metric(
  parts: GatewayParts,
  conn: TAgentConnection,
  msg: TTrialMetric,
  agentId: string,
): Promise<AckOf<"trial:metric">> {
  const { db, config } = parts;
  const r = await recordAgentMetrics(db, { agentId, msg, leaseTtlMs: config.leaseTtlMs });
  if (!r.held && !(await canAgentAct(db, agentId))) return conn.refuse();
  if (!r.held) return ackError("STALE_LEASE", "this attempt no longer holds the trial's lease");
  let prune = false;
  for (const [step, value] of r.objective) {
    const why = await parts.optimizers.report(r.studyId, { number: r.number, params: r.params }, step, value);
    if (why !== null) {
      const e = await parts.lifecycle.prune({ trialId: msg.trialId, leaseToken: msg.leaseToken, value, step, why });
      if (e) parts.ends.afterEnd(e, { signalAgent: false });
      prune = true;
      break;
    }
  }
  return { ok: true, prune, stored: r.stored };
}

async function complete(
  parts: GatewayParts,
  conn: TAgentConnection,
  msg: TTrialComplete,
  agentId: string,
): Promise<AckOf<"trial:complete">> {
  const agent = parts.registry.get(agentId);
  const metrics = agent?.metricOf.get(msg.trialId);
  // The next lease goes out after this ack (the agent frees its slot on it): the ack is sent
  // in the microtasks that follow this handler's return, before a setImmediate.
  let ackGoesOut = () => {};
  const ackSent = new Promise<void>((resolve) => (ackGoesOut = resolve));
  try {
    const r = await parts.pump.endThenOffer(
      agentId,
      async (leaseNext) => {
        const c = await parts.lifecycle.completeAgentTrial({ agentId, msg, metrics, leaseNext });
        return { result: c, offer: c.ok, next: c.ok && !c.duplicate ? c.next : undefined };
      },
      ackSent,
    );
    if (!r.ok && r.code === "UNAUTHORIZED") return conn.refuse();
    if (!r.ok) return ackError(r.code, r.message);
    if (!r.duplicate) parts.ends.afterEnd(r.ended, { signalAgent: false });
    if (agent) agent.starved = false;
    return { ok: true, state: r.duplicate ? r.state : r.ended.state, duplicate: r.duplicate };
  } finally {
    setImmediate(ackGoesOut);
  }
}

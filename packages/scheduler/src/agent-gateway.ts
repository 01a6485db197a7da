import { randomBytes } from "node:crypto";
import type { Server } from "socket.io";
import type { DbHandle } from "@autoglm/db/client";
import { silentLogger, systemClock, type TTrialEndCode } from "@autoglm/protocol";
import { StudyOptimizers } from "./agent-optimizer.js";
import { createDbTokenVerifier, type VerifyAgentToken } from "./agent-token.js";
import { runLoopConfig, type RunLoopConfig, type RunLoopDeps } from "./agent-types.js";
import { acceptAgentConnection } from "./gateway/agent-connection.js";
import { agentNamespaceOf, authenticateAgents, type AgentNamespace } from "./gateway/agent-namespace.js";
import { AgentRegistry } from "./gateway/agent-registry.js";
import type { GatewayParts } from "./gateway/gateway-parts.js";
import { LeasePump } from "./gateway/lease-pump.js";
import { TrialEnds } from "./gateway/trial-ends.js";
import type { EndedAttempt } from "./lifecycle/end-attempt.js";
import { TrialLifecycle } from "./lifecycle.js";
import { replicaSecretOf } from "./serving/replica-secret.js";
import { servingConfigOf, type ServingConfig } from "./serving/serving-config.js";
import type { TScalePoint } from "./serving/endpoint-autoscaler.js";
import { ServingReconciler } from "./serving/serving-reconciler.js";

export type { AgentNamespace, AgentSocket, AgentSocketData } from "./gateway/agent-namespace.js";

export interface AgentGatewayDeps extends RunLoopDeps {
  /** The api's token verification; defaults to a lookup of `api_tokens` by sha256 hash. */
  verifyToken?: VerifyAgentToken;
  /** Shared with the SchedulerLoop so asks and prune decisions see one optimizer per study. */
  optimizers?: StudyOptimizers;
  /** Told whenever an attempt ends (the scheduler loop tops the study up at once). */
  onTrialEnded?: (ended: EndedAttempt) => void;
  /**
   * Told of each lease granted, just before it is sent, with its latency in ms from the
   * agent's offer (its idle moment): the host's metrics. No metrics library is imported here.
   */
  onLeaseGranted?: (latencyMs: number) => void;
  /**
   * The key serving replicas' secrets are derived from (replica-secret.ts); every server replica
   * must use the same (the host passes AUTH_SECRET). Default: random, for this process only.
   */
  serverKey?: string;
  /** Serving timings beyond the run loop's (drain grace, failure bound); tests shrink them. */
  serving?: Partial<ServingConfig>;
}

export interface AgentGateway {
  namespace: AgentNamespace;
  optimizers: StudyOptimizers;
  /** The trial lifecycle the gateway ends trials through (the SchedulerLoop on the same handle shares it). */
  lifecycle: TrialLifecycle<DbHandle>;
  config: RunLoopConfig;
  /** Agent ids with a socket on this process. */
  connectedAgents(): string[];
  /** Leases trials to one connected agent until it is full or nothing fits; returns how many it accepted. */
  offer(agentId: string): Promise<number>;
  /** Offers to every connected agent; `onlyHungry` skips agents that found nothing last time. */
  offerAll(options?: { onlyHungry?: boolean }): Promise<number>;
  /** The queue changed (trials inserted or returned to waiting): every agent may find work again. */
  queueChanged(): void;
  /** Tells the agent holding a trial to stop it (prune or user stop); any process's socket gets it. */
  signal(
    kind: "prune" | "stop",
    target: { agentId: string; trialId: string; leaseToken: string; code: TTrialEndCode; reason: string },
  ): void;
  /** Bookkeeping after any attempt ended (optimizer, live updates, agent signal, loop). */
  afterEnd(ended: EndedAttempt, options?: { signalAgent?: boolean }): void;
  /**
   * A user stops one trial (dashboard / CLI), tenant-scoped: marks it failed USER_STOPPED and
   * tells its agent, which SIGTERMs it (SIGKILL after the grace). Null when there is no such
   * trial in the org or it already finished.
   */
  stopTrial(input: { orgId: string; trialId: string; reason?: string }): Promise<EndedAttempt | null>;
  /**
   * After the api's `stopStudy` (which leaves agent-leased trials alone): ends the study's
   * agent trials STUDY_STOPPED and tells their agents now, instead of at their next heartbeat.
   */
  stopStudyTrials(input: { orgId: string; studyId: string; reason?: string }): Promise<EndedAttempt[]>;
  /** An endpoint or an alias changed: the serving reconciler runs now. */
  servingChanged(): void;
  /** The serving reconciler (tests await its passes). */
  serving: ServingReconciler;
  /** The endpoint's recent load and replica counts, oldest first (the endpoint page's chart). */
  endpointScaleHistory(endpointId: string): TScalePoint[];
  /** What the gateway sends a replica as `Authorization: Bearer …` (replica-secret.ts). */
  replicaSecretOf(replicaId: string): string;
  /** Adds a listener told whenever an attempt ends (the SchedulerLoop registers itself). */
  addEndListener(listener: (ended: EndedAttempt) => void): void;
  close(): Promise<void>;
}

/**
 * The `/agents` Socket.IO namespace (STYLE 9: a doorbell; Postgres is the truth), wired from
 * its parts (./gateway): the handshake (agent-namespace.ts), the registry of this process's
 * agents, the lease pump that offers them trials, the per-connection event handlers and the
 * bookkeeping after an attempt ends (trial-ends.ts).
 * Handshake: an API token with the `agent` scope in `auth.token` whose owner may run agents in
 * its team (S13: checked again at registration, every lease and every write; revocations close
 * the socket at once through its `user:` / `member:` / `token:` rooms). Every event is parsed with
 * its zod schema from @autoglm/protocol; handlers validate → write → ack, and a malformed
 * or out-of-order event (anything before `agent:register`, a stale lease token) gets an
 * error ack and changes nothing.
 */
export function attachAgentGateway(io: Server, deps: AgentGatewayDeps): AgentGateway {
  const parts = gatewayParts(agentNamespaceOf(io), deps);
  const { db, lifecycle, registry, pump, ends, optimizers, namespace } = parts;
  if (deps.onTrialEnded) ends.addListener(deps.onTrialEnded);
  authenticateAgents(namespace, deps.verifyToken ?? createDbTokenVerifier(db), parts.logger);
  namespace.on("connection", (socket) => acceptAgentConnection(parts, socket));
  const reconciler = parts.serving.reconciler.start();
  return {
    namespace,
    optimizers,
    lifecycle,
    config: parts.config,
    connectedAgents: () => registry.ids(),
    offer: (agentId) => pump.offer(agentId),
    offerAll: (options) => pump.offerAll(options),
    queueChanged: () => registry.wakeAll(),
    signal: (kind, target) => ends.signal(kind, target),
    afterEnd: (e, options) => ends.afterEnd(e, options),
    addEndListener: (l) => ends.addListener(l),
    servingChanged: () => reconciler.nudge(),
    serving: reconciler,
    endpointScaleHistory: (endpointId) => reconciler.scaleHistory(endpointId),
    replicaSecretOf: (replicaId) => replicaSecretOf(parts.serverKey, replicaId),
    async stopTrial(input) {
      const e = await lifecycle.stopTrial(input);
      if (e) ends.afterEnd(e, { signalAgent: true });
      return e;
    },
    async stopStudyTrials(input) {
      const ended = await lifecycle.stopStudyTrials({
        orgId: input.orgId,
        studyId: input.studyId,
        code: "STUDY_STOPPED",
        reason: input.reason ?? "the study was stopped before this trial finished",
      });
      for (const e of ended) ends.afterEnd(e, { signalAgent: true });
      return ended;
    },
    async close() {
      await reconciler.stop();
      registry.close();
      await pump.close();
      namespace.disconnectSockets(true);
      namespace.removeAllListeners();
    },
  };
}

function gatewayParts(
  namespace: AgentNamespace,
  deps: AgentGatewayDeps,
): GatewayParts & { namespace: AgentNamespace; serverKey: string } {
  const { db, publish } = deps;
  const logger = deps.logger ?? silentLogger;
  const config = runLoopConfig(deps.config);
  const clock = deps.clock ?? systemClock;
  const nowMs = () => clock.now().getTime();
  const optimizers =
    deps.optimizers ??
    new StudyOptimizers(db, {
      refreshMs: config.optimizerRefreshMs,
      timeoutMs: config.optimizerTimeoutMs,
      logger,
      clock: deps.clock,
    });
  // No clock: ends are timed by the database's now(), like the leases themselves.
  const lifecycle = new TrialLifecycle({ db, logger });
  const registry = new AgentRegistry();
  const ends = new TrialEnds({ logger, registry, optimizers, namespace, publish });
  const pump = new LeasePump({
    db,
    lifecycle,
    logger,
    config,
    nowMs,
    registry,
    ends,
    publish,
    onLeaseGranted: deps.onLeaseGranted,
  });
  const serverKey = deps.serverKey ?? randomBytes(32).toString("hex");
  const servingConfig = { ...servingConfigOf(config), ...deps.serving };
  const reconciler = new ServingReconciler({ db, logger, namespace, registry, config: servingConfig, serverKey, nowMs });
  const serving = { reconciler, config: servingConfig };
  return { db, lifecycle, logger, config, nowMs, registry, pump, ends, optimizers, publish, namespace, serving, serverKey };
}

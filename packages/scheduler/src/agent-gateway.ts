import type { Namespace, Server, Socket } from "socket.io";
import type { z } from "zod";
import {
  AGENT_NAMESPACE,
  PROTOCOL_VERSION,
  ZAgentHeartbeat,
  ZAgentReady,
  ZAgentRegister,
  ZLeaseAck,
  ZTrialComplete,
  ZTrialMetric,
  ackError,
  silentLogger,
  systemClock,
  type AgentToServerEvents,
  type ServerToAgentEvents,
  type TAckError,
  type TTrialEndCode,
  type TTrialLease,
  type TTrialSignal,
} from "@autoglm/protocol";
import { completeAgentTrial } from "./agent-complete.js";
import { recordAgentMetrics } from "./agent-metrics.js";
import { StudyOptimizers } from "./agent-optimizer.js";
import { registerAgent } from "./agent-register.js";
import { accessRooms } from "./access-revoked.js";
import { canAgentAct, createDbTokenVerifier, isAgentTokenLive, type VerifyAgentToken } from "./agent-token.js";
import { runLoopConfig, type RunLoopConfig, type RunLoopDeps } from "./agent-types.js";
import { markAgentOffline, recordHeartbeat } from "./heartbeat.js";
import { leaseTrial, type LeasedTrial } from "./lease-trial.js";
import { pruneTrial, stopStudyTrials, stopTrial } from "./prune.js";
import { endAttempt, unleaseTrial, type EndedAttempt } from "./retry.js";

function unleased(l: LeasedTrial): EndedAttempt {
  return {
    trialId: l.trialId,
    orgId: l.orgId,
    studyId: l.studyId,
    number: l.number,
    attempt: l.attempt - 1,
    state: "waiting",
    value: null,
    agentId: null,
    leaseToken: null,
  };
}

export interface AgentGatewayDeps extends RunLoopDeps {
  /** The api's token verification; defaults to a lookup of `api_tokens` by sha256 hash. */
  verifyToken?: VerifyAgentToken;
  /** Shared with the SchedulerLoop so asks and prune decisions see one optimizer per study. */
  optimizers?: StudyOptimizers;
  /** Told whenever an attempt ends (the scheduler loop tops the study up at once). */
  onTrialEnded?: (ended: EndedAttempt) => void;
}

export interface AgentGateway {
  namespace: Namespace;
  optimizers: StudyOptimizers;
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
  /** Adds a listener told whenever an attempt ends (the SchedulerLoop registers itself). */
  addEndListener(listener: (ended: EndedAttempt) => void): void;
  close(): Promise<void>;
}

interface Connected {
  socket: AgentSocket;
  orgId: string;
  maxTrials: number;
  /**
   * Set when the agent declined or missed a lease: its view of its capacity differs from
   * the database's (a pruned process still inside its kill grace). No more offers until it
   * says `agent:ready`, so a busy agent is not offered the queue head every tick.
   */
  paused: boolean;
  /** Last event from the agent (ms): a silent agent (paused process, half-open TCP) is not offered work. */
  lastSeen: number;
  /**
   * The last lease attempt found nothing that fits this agent. The tick skips it until the
   * queue changes (trials inserted or returned to waiting) or the agent frees capacity, so
   * 200 busy agents do not cost 200 lease queries a tick (L1).
   */
  starved: boolean;
  /** The agent said it is shutting down (ready with 0 free slots): never offered anything again on this connection. */
  draining: boolean;
  /**
   * Trials this agent runs, as far as this process knows: leases it delivered, minus ends,
   * reset from the agent's own list at every heartbeat (so any drift lasts at most H). A full
   * agent is not offered work at all — the lease statement is the scheduler's hot path (L1).
   * The database stays the authority: this only saves queries that would find no capacity.
   */
  running: Set<string>;
}

type AgentSocket = Socket<AgentToServerEvents, ServerToAgentEvents>;
type Ack = Record<string, unknown> | TAckError;

/**
 * The `/agents` Socket.IO namespace (STYLE 9: a doorbell; Postgres is the truth).
 * Handshake: an API token with the `agent` scope in `auth.token` whose owner may run agents in
 * its team (S13: checked again at registration, every lease and every write; revocations close
 * the socket at once through its `user:` / `member:` / `token:` rooms). Every event is parsed with
 * its zod schema from @autoglm/protocol; handlers validate → write → ack, and a malformed
 * or out-of-order event (anything before `agent:register`, a stale lease token) gets an
 * error ack and changes nothing.
 */
export function attachAgentGateway(io: Server, deps: AgentGatewayDeps): AgentGateway {
  const db = deps.db;
  const logger = deps.logger ?? silentLogger;
  const config = runLoopConfig(deps.config);
  const verifyToken = deps.verifyToken ?? createDbTokenVerifier(db);
  const optimizers =
    deps.optimizers ??
    new StudyOptimizers(db, {
      refreshMs: config.optimizerRefreshMs,
      timeoutMs: config.optimizerTimeoutMs,
      logger,
      clock: deps.clock,
    });
  const nsp = io.of(AGENT_NAMESPACE) as unknown as Namespace<AgentToServerEvents, ServerToAgentEvents>;
  const agents = new Map<string, Connected>();
  const endListeners: Array<(ended: EndedAttempt) => void> = deps.onTrialEnded ? [deps.onTrialEnded] : [];
  const chains = new Map<string, Promise<number>>();
  /** Per agent: trials whose lease is being offered and not yet acknowledged or taken back. */
  const offering = new Map<string, Set<string>>();
  const now = () => (deps.clock ?? systemClock).now().getTime();
  let closed = false;

  nsp.use(async (socket, next) => {
    try {
      const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
      const principal = typeof token === "string" ? await verifyToken(token) : null;
      if (!principal) return next(new Error("unauthorized"));
      socket.data.orgId = principal.orgId;
      socket.data.tokenId = principal.tokenId;
      socket.data.userId = principal.userId;
      next();
    } catch (err) {
      logger.error("agent handshake failed", { error: String(err) });
      next(new Error("unavailable"));
    }
  });

  function on<S extends z.ZodTypeAny>(
    socket: AgentSocket,
    event: keyof AgentToServerEvents,
    schema: S,
    needsAgent: boolean,
    fn: (data: z.output<S>, agentId: string) => Promise<Ack>,
  ): void {
    (socket as unknown as Socket).on(event, async (payload: unknown, ack?: (r: Ack) => void) => {
      const reply = typeof ack === "function" ? ack : () => {};
      if (closed) return reply(ackError("INTERNAL", "the server is shutting down"));
      const v = (payload as { v?: unknown } | null)?.v;
      if (typeof payload === "object" && payload !== null && v !== PROTOCOL_VERSION) {
        return reply(
          ackError("UNSUPPORTED_VERSION", `protocol version ${String(v)} is not supported (expected ${PROTOCOL_VERSION})`),
        );
      }
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        const message = parsed.error.issues
          .slice(0, 5)
          .map((i: z.ZodIssue) => `${i.path.join(".") || "(payload)"}: ${i.message}`)
          .join("; ");
        return reply(ackError("BAD_REQUEST", message));
      }
      const agentId = socket.data.agentId as string | undefined;
      if (needsAgent && !agentId) return reply(ackError("NOT_REGISTERED", `${event} before agent:register`));
      const entry = agentId ? agents.get(agentId) : undefined;
      if (entry?.socket === socket) entry.lastSeen = now();
      try {
        reply(await fn(parsed.data, agentId ?? ""));
      } catch (err) {
        logger.error("agent event failed", { event, error: String(err) });
        reply(ackError("INTERNAL", "the server could not handle the event; retry"));
      }
    });
  }

  nsp.on("connection", (rawSocket) => {
    const socket = rawSocket as unknown as AgentSocket;
    const orgId = socket.data.orgId as string;
    // S13: an `access:revoked` event closes these rooms on every replica at once. Joined before
    // any event is handled, so registration's own membership check runs after the join: a
    // removal that lands between the handshake and here is caught by one or the other.
    void socket.join([
      accessRooms.user(socket.data.userId as string),
      accessRooms.member(orgId, socket.data.userId as string),
      accessRooms.token(socket.data.tokenId as string),
    ]);
    /** Nothing this connection sends will be accepted any more: end it (the agent's reconnect is refused at the handshake). */
    const refuse = (): TAckError => {
      logger.warn("agent token can no longer act; disconnecting", { agentId: socket.data.agentId });
      setImmediate(() => socket.disconnect(true));
      return ackError(
        "UNAUTHORIZED",
        "this agent's token can no longer act in its team (revoked or expired, or its owner was removed, made a viewer or deactivated)",
      );
    };

    on(socket, "agent:register", ZAgentRegister, false, async (msg) => {
      if (socket.data.agentId) return ackError("OUT_OF_ORDER", "this connection is already registered");
      const r = await registerAgent(db, {
        orgId,
        tokenId: socket.data.tokenId as string,
        msg,
        leaseTtlMs: config.leaseTtlMs,
        offering: (agentId) => offering.get(agentId) ?? new Set(),
      });
      if (!r.ok && r.code === "UNAUTHORIZED") return refuse();
      if (!r.ok) {
        logger.warn("agent registration refused", { name: msg.name, code: r.code });
        return ackError(r.code, r.message);
      }
      socket.data.agentId = r.agentId;
      const adopted = msg.running.map((x) => x.trialId).filter((id) => !r.stale.includes(id));
      agents.set(r.agentId, {
        socket,
        orgId,
        maxTrials: msg.maxTrials,
        paused: false,
        lastSeen: now(),
        starved: false,
        draining: false,
        running: new Set(adopted),
      });
      await socket.join(`agent:${r.agentId}`);
      for (const e of r.lost) afterEnd(e, { signalAgent: false });
      logger.info("agent registered", {
        agentId: r.agentId,
        name: msg.name,
        gpus: msg.gpus.length,
        adopted: msg.running.length - r.stale.length,
      });
      // Offer work after the ack has gone out, so the agent knows its id first.
      setImmediate(() => void offer(r.agentId));
      return {
        ok: true,
        agentId: r.agentId,
        orgId,
        heartbeatMs: config.heartbeatMs,
        leaseTtlMs: config.leaseTtlMs,
        stale: r.stale,
      };
    });

    let tokenCheckedAt = now();
    on(socket, "agent:heartbeat", ZAgentHeartbeat, true, async (msg, agentId) => {
      if (now() - tokenCheckedAt > config.tokenRecheckMs && socket.data.tokenId) {
        tokenCheckedAt = now();
        if (!(await isAgentTokenLive(db, socket.data.tokenId as string))) return refuse();
      }
      const r = await recordHeartbeat(db, { agentId, running: msg.running, leaseTtlMs: config.leaseTtlMs, gpuUse: msg.gpuUse });
      const entry = agents.get(agentId);
      if (entry) entry.running = new Set(msg.running.map((x) => x.trialId).filter((id) => !r.stale.includes(id)));
      for (const e of r.ended) afterEnd(e, { signalAgent: false });
      return { ok: true, stale: r.stale };
    });

    on(socket, "agent:ready", ZAgentReady, true, async (msg, agentId) => {
      const entry = agents.get(agentId);
      if (entry && msg.freeSlots > 0) {
        entry.paused = false;
        entry.starved = false;
      } else if (entry) {
        // freeSlots 0: the agent is draining (graceful shutdown) — offer it nothing.
        entry.draining = true;
        return { ok: true };
      }
      void offer(agentId);
      return { ok: true };
    });

    on(socket, "trial:metric", ZTrialMetric, true, async (msg, agentId) => {
      const r = await recordAgentMetrics(db, { agentId, msg, leaseTtlMs: config.leaseTtlMs });
      if (!r.held && !(await canAgentAct(db, agentId))) return refuse();
      if (!r.held) return ackError("STALE_LEASE", "this attempt no longer holds the trial's lease");
      let prune = false;
      for (const [step, value] of r.objective) {
        const why = await optimizers.report(r.studyId, { number: r.number, params: r.params }, step, value);
        if (why !== null) {
          const e = await pruneTrial(db, { trialId: msg.trialId, leaseToken: msg.leaseToken, value, step, why });
          if (e) afterEnd(e, { signalAgent: false });
          prune = true;
          break;
        }
      }
      return { ok: true, prune, stored: r.stored };
    });

    on(socket, "trial:complete", ZTrialComplete, true, async (msg, agentId) => {
      const r = await completeAgentTrial(db, { agentId, msg });
      if (!r.ok && r.code === "UNAUTHORIZED") return refuse();
      if (!r.ok) return ackError(r.code, r.message);
      if (!r.duplicate) afterEnd(r.ended, { signalAgent: false });
      const entry = agents.get(agentId);
      if (entry) entry.starved = false;
      setImmediate(() => void offer(agentId));
      return { ok: true, state: r.duplicate ? r.state : r.ended.state, duplicate: r.duplicate };
    });

    socket.on("disconnect", () => {
      const agentId = socket.data.agentId as string | undefined;
      if (!agentId) return;
      const cur = agents.get(agentId);
      if (cur?.socket === socket) {
        agents.delete(agentId);
        // Leases stay: a blip shorter than T must not restart anything (R3); the sweeper decides.
        markAgentOffline(db, agentId).catch((err) => logger.warn("could not mark agent offline", { error: String(err) }));
      }
    });
  });

  function leasePayload(l: LeasedTrial): TTrialLease {
    const spec = l.spec as {
      objective: { metric: string; direction: "minimize" | "maximize" };
      run: {
        command?: string;
        builtin?: NonNullable<TTrialLease["run"]["builtin"]>;
        workdir?: string;
        env?: Record<string, string>;
        timeout_minutes?: number;
        resources?: { gpus?: number; memory_gb?: number; labels?: Record<string, string> };
      };
    };
    const res = spec.run.resources ?? {};
    return {
      v: PROTOCOL_VERSION,
      trialId: l.trialId,
      attempt: l.attempt,
      leaseToken: l.leaseToken,
      studyId: l.studyId,
      number: l.number,
      leaseExpiresAt: l.leaseExpiresAt,
      params: l.params as TTrialLease["params"],
      objective: { metric: spec.objective.metric, direction: spec.objective.direction },
      run: {
        ...(spec.run.builtin ? { builtin: spec.run.builtin } : { command: spec.run.command }),
        ...(spec.run.workdir ? { workdir: spec.run.workdir } : {}),
        ...(spec.run.env ? { env: spec.run.env } : {}),
        ...(spec.run.timeout_minutes ? { timeoutMinutes: spec.run.timeout_minutes } : {}),
        resources: {
          gpus: res.gpus ?? 0,
          ...(res.memory_gb ? { memory_gb: res.memory_gb } : {}),
          ...(res.labels ? { labels: res.labels } : {}),
        },
      },
    };
  }

  async function offerNow(agentId: string): Promise<number> {
    let delivered = 0;
    const entry = agents.get(agentId);
    if (!entry || closed || entry.paused || entry.draining) return 0;
    // Not heard from for a lease TTL: the agent is paused or cut off (its own leases are
    // being swept right now); a lease would only wait for the ack timeout and come back.
    if (now() - entry.lastSeen > config.leaseTtlMs) return 0;
    const free = entry.maxTrials - entry.running.size;
    for (let i = 0; i < free; i++) {
      if (agents.get(agentId) !== entry || closed || !entry.socket.connected || entry.paused || entry.draining) break;
      const lease = await leaseTrial(db, { agentId, leaseTtlMs: config.leaseTtlMs });
      if (!lease) {
        entry.starved = true;
        break;
      }
      let accepted = false;
      let answered = false;
      let reason = "the agent did not acknowledge the lease";
      const inFlight = offering.get(agentId) ?? new Set<string>();
      offering.set(agentId, inFlight.add(lease.trialId));
      try {
        const ack = await entry.socket.timeout(config.ackTimeoutMs).emitWithAck("trial:lease", leasePayload(lease));
        const parsed = ZLeaseAck.safeParse(ack);
        if (parsed.success && parsed.data.ok) {
          answered = true;
          accepted = parsed.data.accepted;
          reason = parsed.data.reason ?? "the agent declined the lease";
        }
      } catch {
        /* timeout or disconnect: released below without spending an attempt */
      }
      if (!accepted) {
        entry.paused = true;
        try {
          if (answered) {
            await unleaseTrial(db, { trialId: lease.trialId, leaseToken: lease.leaseToken });
            for (const a of agents.values()) a.starved = false;
            for (const l of endListeners) l({ ...unleased(lease) });
          } else {
            const e = await endAttempt(db, {
              trialId: lease.trialId,
              leaseToken: lease.leaseToken,
              mode: "retry",
              code: "LEASE_NOT_DELIVERED",
              reason,
            });
            if (e) afterEnd(e, { signalAgent: true });
          }
        } finally {
          // Until the lease is taken back (a database outage can hold that write for
          // seconds), a re-registering agent that does not report it never received it.
          settled(agentId, inFlight, lease.trialId);
        }
        break;
      }
      settled(agentId, inFlight, lease.trialId);
      delivered++;
      entry.running.add(lease.trialId);
      deps.publish?.({ type: "trial:updated", orgId: lease.orgId, studyId: lease.studyId, trialId: lease.trialId });
    }
    return delivered;
  }

  function settled(agentId: string, inFlight: Set<string>, trialId: string): void {
    inFlight.delete(trialId);
    if (inFlight.size === 0 && offering.get(agentId) === inFlight) offering.delete(agentId);
  }

  /** Leases for one agent run one at a time (lease-trial.ts explains why). */
  function offer(agentId: string): Promise<number> {
    const prev = chains.get(agentId) ?? Promise.resolve(0);
    const next = prev
      .catch(() => 0)
      .then(() => offerNow(agentId))
      .catch((err) => {
        logger.error("leasing failed", { agentId, error: String(err) });
        return 0;
      });
    chains.set(agentId, next);
    void next.finally(() => {
      if (chains.get(agentId) === next) chains.delete(agentId);
    });
    return next;
  }

  function signal(
    kind: "prune" | "stop",
    t: { agentId: string; trialId: string; leaseToken: string; code: TTrialEndCode; reason: string },
  ): void {
    const payload: TTrialSignal = {
      v: PROTOCOL_VERSION,
      trialId: t.trialId,
      leaseToken: t.leaseToken,
      code: t.code,
      reason: t.reason,
    };
    // A room broadcast reaches the agent's socket on whichever server holds it (adapter).
    (nsp as unknown as Namespace).to(`agent:${t.agentId}`).emit(kind === "prune" ? "trial:prune" : "trial:stop", payload);
  }

  function afterEnd(e: EndedAttempt, options: { signalAgent?: boolean } = {}): void {
    if (e.agentId) agents.get(e.agentId)?.running.delete(e.trialId);
    if (e.state === "waiting") for (const a of agents.values()) a.starved = false;
    if (e.state !== "waiting") optimizers.tell(e.studyId, e.number, e.state, e.value);
    deps.publish?.({ type: "trial:updated", orgId: e.orgId, studyId: e.studyId, trialId: e.trialId });
    if (e.state === "complete") deps.publish?.({ type: "study:updated", orgId: e.orgId, studyId: e.studyId });
    if (options.signalAgent !== false && e.agentId && e.leaseToken) {
      signal(e.state === "pruned" ? "prune" : "stop", {
        agentId: e.agentId,
        trialId: e.trialId,
        leaseToken: e.leaseToken,
        code: e.state === "pruned" ? "PRUNED" : "USER_STOPPED",
        reason: "the trial was ended by the server",
      });
    }
    for (const l of endListeners) {
      try {
        l(e);
      } catch (err) {
        logger.warn("trial-ended listener failed", { error: String(err) });
      }
    }
  }

  return {
    namespace: nsp as unknown as Namespace,
    optimizers,
    config,
    connectedAgents: () => [...agents.keys()],
    offer,
    async offerAll(options = {}) {
      // A full round also lifts `paused`: the agent's "ready" doorbell may have been lost, and
      // an agent that is still busy just declines once more.
      if (!options.onlyHungry) for (const e of agents.values()) e.paused = false;
      let candidates = [...agents.entries()].filter(([, e]) => !(options.onlyHungry && e.starved));
      if (candidates.length > 0) {
        // Only teams with queued work: 1,000 idle agents would otherwise cost 1,000 lease
        // queries a round, in a burst that delays every heartbeat behind it (L4).
        const rows = await db.query<{ org_id: string }>(`SELECT DISTINCT org_id FROM trials WHERE state = 'waiting'`);
        const busyOrgs = new Set(rows.map((r) => String(r.org_id)));
        candidates = candidates.filter(([, e]) => busyOrgs.has(e.orgId));
      }
      const counts = await Promise.all(candidates.map(([id]) => offer(id)));
      return counts.reduce((a, b) => a + b, 0);
    },
    queueChanged() {
      for (const e of agents.values()) e.starved = false;
    },
    signal,
    afterEnd,
    addEndListener: (l) => void endListeners.push(l),
    async stopTrial(input) {
      const e = await stopTrial(db, input);
      if (e) afterEnd(e, { signalAgent: true });
      return e;
    },
    async stopStudyTrials(input) {
      const ended = await stopStudyTrials(db, {
        orgId: input.orgId,
        studyId: input.studyId,
        code: "STUDY_STOPPED",
        reason: input.reason ?? "the study was stopped before this trial finished",
      });
      for (const e of ended) afterEnd(e, { signalAgent: true });
      return ended;
    },
    async close() {
      closed = true;
      await Promise.allSettled([...chains.values()]);
      nsp.disconnectSockets(true);
      nsp.removeAllListeners();
      agents.clear();
    },
  };
}

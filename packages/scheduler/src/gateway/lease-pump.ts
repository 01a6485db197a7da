import { randomUUID } from "node:crypto";
import type { DbHandle } from "@autoglm/db/client";
import { valueMetricsOf } from "../lifecycle/trial-values.js";
import { listAgentLeasesByToken, listOrgIdsWithWaitingTrials } from "@autoglm/db/queries";
import { ZLeaseAck, type Logger, type PublishEvent } from "@autoglm/protocol";
import type { RunLoopConfig } from "../agent-types.js";
import { leasePayloadOf } from "../lease-payload.js";
import { leaseTrial, type LeasedTrial } from "../lease-trial.js";
import type { EndedAttempt } from "../lifecycle/end-attempt.js";
import type { TrialLifecycle } from "../lifecycle.js";
import type { AgentRegistry, ConnectedAgent } from "./agent-registry.js";
import type { TrialEnds } from "./trial-ends.js";

/** Unsent lease tokens kept at most (LeasePump.unsent). */
const MAX_UNSENT = 10_000;

/** How the agent answered one `trial:lease`. */
interface TDelivery {
  accepted: boolean;
  /** False when no valid ack came back (timeout, disconnect): the agent may never have seen it. */
  answered: boolean;
  reason: string;
}

/**
 * Offers waiting trials to this process's idle agents: leases one (lease-trial.ts), sends it
 * as `trial:lease`, and waits
 * for the agent's ack. A declined lease is taken back without spending an attempt; one that
 * got no ack ends LEASE_NOT_DELIVERED (which spends none either). Leases for one agent run
 * one at a time (lease-trial.ts explains why); different agents' leases run concurrently on the
 * pool. Leasing for several agents in one statement was built and measured: at ~500 leases/s
 * with 200 agents (bench:scheduler, paced) it raised the lease p99 (117-143 ms against 83-105
 * ms per agent on the same box, same hour), because leases follow completions one or two at a
 * time and the batch statement's greedy match costs more than the round trips it saves.
 */
export class LeasePump {
  private readonly chains = new Map<string, Promise<number>>();
  /** Per agent: trials whose lease is being offered and not yet acknowledged or taken back. */
  private readonly offering = new Map<string, Set<string>>();
  /**
   * Leases never handed to their agent that the database may still hold, by token (→ agent):
   * a lease statement whose connection dropped (PostgreSQL crashed mid-statement: it may have
   * committed), or a take-back the database did not take. Left alone, such a lease lapses and
   * the sweep charges its trial an AGENT_LOST attempt for an agent that never saw it (R5).
   * `settleUnsent` takes them back once the database answers.
   */
  private readonly unsent = new Map<string, string>();

  constructor(
    private readonly parts: {
      db: DbHandle;
      lifecycle: TrialLifecycle<DbHandle>;
      logger: Logger;
      config: RunLoopConfig;
      nowMs: () => number;
      registry: AgentRegistry;
      ends: TrialEnds;
      publish?: PublishEvent | undefined;
      /** Told of each lease granted with its latency (ms, monotonic): the host's metrics. */
      onLeaseGranted?: ((latencyMs: number) => void) | undefined;
    },
  ) {}

  /** Trials this process is offering the agent right now (registration tells undelivered from lost). */
  offeringTo(agentId: string): ReadonlySet<string> {
    return this.offering.get(agentId) ?? new Set();
  }

  /**
   * Bounded: a long outage fails every lease tried meanwhile (most never reached the database);
   * past the bound the oldest are forgotten, and those few the sweep ends as before.
   */
  private markUnsent(leaseToken: string, agentId: string): void {
    this.unsent.set(leaseToken, agentId);
    if (this.unsent.size > MAX_UNSENT) this.unsent.delete(this.unsent.keys().next().value!);
  }

  /** Whether a lease with this token was never handed to its agent (registration: LEASE_NOT_DELIVERED, not AGENT_LOST). */
  isUnsent(leaseToken: string): boolean {
    return this.unsent.has(leaseToken);
  }

  /**
   * Ends, without spending an attempt, every unsent lease the database still holds (none is
   * handed out after its failure, so no agent runs one), and forgets the ones it holds no more.
   * Throws while the database is down; what is left is tried again on the next call.
   */
  async settleUnsent(): Promise<void> {
    const tokens = [...this.unsent.keys()];
    for (const held of await listAgentLeasesByToken(this.parts.db, tokens)) {
      const e = await this.parts.lifecycle.endAttempt({
        trialId: held.trialId,
        leaseToken: held.leaseToken,
        agentId: this.unsent.get(held.leaseToken),
        mode: "retry",
        code: "LEASE_NOT_DELIVERED",
        reason: "the lease was written as the database connection failed and never reached the agent",
      });
      if (e) this.parts.ends.afterEnd(e, { signalAgent: false });
      this.unsent.delete(held.leaseToken);
    }
    // The rest never committed (most failures happen before the statement runs).
    for (const token of tokens) this.unsent.delete(token);
  }

  /** Leases trials to one connected agent until it is full or nothing fits; how many it accepted. */
  offer(agentId: string): Promise<number> {
    // The agent's idle moment: a lease's latency counts from here, waiting behind the agent's
    // previous offer included (what bench:scheduler measures as idle → lease received).
    const requestedAt = performance.now();
    return this.inChain(agentId, () => this.offerNow(agentId, requestedAt));
  }

  /**
   * An agent's attempt ends, and when the agent may be offered work now, `end` is asked to
   * lease its next trial in the same statement (its `leaseNext` argument; undefined: do not).
   * That runs as a link of the agent's lease chain (no other lease for this agent runs
   * meanwhile); the lease it made is handed over once `ackSent` resolves (the agent must see
   * its completion acknowledged, freeing the slot, before the next lease), then the agent is
   * offered whatever else fits. `end` answers whether to offer at all (not after a refusal).
   */
  endThenOffer<T>(
    agentId: string,
    end: (
      leaseNext: { leaseTtlMs: number; leaseToken: string } | undefined,
    ) => Promise<{ result: T; offer: boolean; next?: LeasedTrial | null }>,
    ackSent: Promise<void>,
  ): Promise<T> {
    const requestedAt = performance.now();
    const agent = this.parts.registry.get(agentId);
    if (!agent || this.chains.has(agentId) || !this.mayOfferNow(agentId, agent)) {
      // Another lease for this agent is in flight (or it takes none now): end alone, offer after.
      return end(undefined).then((r) => {
        if (r.offer) void ackSent.then(() => this.offer(agentId));
        return r.result;
      });
    }
    return new Promise<T>((resolve, reject) => {
      void this.inChain(agentId, async () => {
        let r: Awaited<ReturnType<typeof end>>;
        const leaseToken = randomUUID();
        try {
          r = await end({ leaseTtlMs: this.parts.config.leaseTtlMs, leaseToken });
        } catch (err) {
          this.markUnsent(leaseToken, agentId);
          reject(err);
          return 0;
        }
        resolve(r.result);
        if (!r.offer) return 0;
        await ackSent;
        if (r.next === undefined) return this.offerNow(agentId, requestedAt);
        if (r.next === null) {
          agent.starved = true;
          return 0;
        }
        if (!this.mayOffer(agentId, agent)) {
          // Gone, paused or draining since the statement: the lease goes back, no attempt spent.
          await this.takeBack(agentId, r.next, { accepted: false, answered: true, reason: "the agent stopped taking work" });
          return 0;
        }
        this.parts.onLeaseGranted?.(performance.now() - requestedAt);
        if (!(await this.hand(agentId, agent, r.next))) return 0;
        return 1 + (await this.offerNow(agentId, performance.now()));
      });
    });
  }

  /** Runs `link` after the agent's previous lease work: leases for one agent never overlap. */
  private inChain(agentId: string, link: () => Promise<number>): Promise<number> {
    const prev = this.chains.get(agentId) ?? Promise.resolve(0);
    const next = prev
      .catch(() => 0)
      .then(link)
      .catch((err) => {
        this.parts.logger.error("leasing failed", { agentId, error: String(err) });
        return 0;
      });
    this.chains.set(agentId, next);
    void next.finally(() => {
      if (this.chains.get(agentId) === next) this.chains.delete(agentId);
    });
    return next;
  }

  /** Offers to every connected agent; `onlyHungry` skips agents that found nothing last time. */
  async offerAll(options: { onlyHungry?: boolean } = {}): Promise<number> {
    const { registry, db } = this.parts;
    // Never in the way of offering: what fails here is tried again next round.
    if (this.unsent.size > 0) {
      await this.settleUnsent().catch((err: unknown) =>
        this.parts.logger.warn("unsent leases not settled yet", { count: this.unsent.size, error: String(err) }),
      );
    }
    if (!options.onlyHungry) registry.unpauseAll();
    let candidates = registry.entries().filter(([, a]) => !(options.onlyHungry && a.starved));
    if (candidates.length > 0) {
      // Only teams with queued work: 1,000 idle agents would otherwise cost 1,000 lease
      // queries a round, in a burst that delays every heartbeat behind it (L4).
      const busyOrgs = new Set(await listOrgIdsWithWaitingTrials(db));
      candidates = candidates.filter(([, a]) => busyOrgs.has(a.orgId));
    }
    const counts = await Promise.all(candidates.map(([id]) => this.offer(id)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Waits for the leases in flight; the registry, closed first, lets no new one start. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private mayOffer(agentId: string, agent: ConnectedAgent): boolean {
    return this.parts.registry.isCurrent(agentId, agent) && !agent.paused && !agent.draining;
  }

  /** mayOffer, and the agent has been heard from within a lease TTL (offerNow says why). */
  private mayOfferNow(agentId: string, agent: ConnectedAgent): boolean {
    return this.mayOffer(agentId, agent) && this.parts.nowMs() - agent.lastSeen <= this.parts.config.leaseTtlMs;
  }

  private async offerNow(agentId: string, requestedAt: number): Promise<number> {
    const { registry } = this.parts;
    const agent = registry.get(agentId);
    // Not heard from for a lease TTL: the agent is paused or cut off (its own leases are
    // being swept right now); a lease would only wait for the ack timeout and come back.
    if (!agent || !this.mayOfferNow(agentId, agent)) return 0;
    let delivered = 0;
    let since = requestedAt;
    const free = agent.maxTrials - agent.running.size;
    for (let i = 0; i < free && this.mayOffer(agentId, agent); i++) {
      const leaseToken = randomUUID();
      const lease = await leaseTrial(this.parts.db, { agentId, leaseTtlMs: this.parts.config.leaseTtlMs, leaseToken }).catch(
        (err: unknown) => {
          this.markUnsent(leaseToken, agentId);
          throw err;
        },
      );
      if (!lease) {
        agent.starved = true;
        break;
      }
      this.parts.onLeaseGranted?.(performance.now() - since);
      if (!(await this.hand(agentId, agent, lease))) break;
      // The next free slot waited only for this lease's ack.
      since = performance.now();
      delivered++;
    }
    return delivered;
  }

  /** Sends one lease and settles it; true when the agent took it. */
  private async hand(agentId: string, agent: ConnectedAgent, lease: LeasedTrial): Promise<boolean> {
    const inFlight = this.offering.get(agentId) ?? new Set<string>();
    this.offering.set(agentId, inFlight.add(lease.trialId));
    try {
      const delivery = await this.deliver(agent, lease);
      if (!delivery.accepted) {
        agent.paused = true;
        await this.takeBack(agentId, lease, delivery);
        return false;
      }
    } finally {
      // Until the lease is taken back (a database outage can hold that write for seconds),
      // a re-registering agent that does not report it never received it.
      inFlight.delete(lease.trialId);
      if (inFlight.size === 0 && this.offering.get(agentId) === inFlight) this.offering.delete(agentId);
    }
    agent.running.add(lease.trialId);
    agent.metricOf.set(lease.trialId, valueMetricsOf(lease.spec));
    this.parts.publish?.({ type: "trial:updated", orgId: lease.orgId, studyId: lease.studyId, trialId: lease.trialId });
    return true;
  }

  private async deliver(agent: ConnectedAgent, lease: LeasedTrial): Promise<TDelivery> {
    try {
      const ack = await agent.socket.timeout(this.parts.config.ackTimeoutMs).emitWithAck("trial:lease", leasePayloadOf(lease));
      const parsed = ZLeaseAck.safeParse(ack);
      if (parsed.success && parsed.data.ok) {
        return { accepted: parsed.data.accepted, answered: true, reason: parsed.data.reason ?? "the agent declined the lease" };
      }
    } catch {
      /* timeout or disconnect: taken back without spending an attempt */
    }
    return { accepted: false, answered: false, reason: "the agent did not acknowledge the lease" };
  }

  private async takeBack(agentId: string, lease: LeasedTrial, delivery: TDelivery): Promise<void> {
    try {
      await this.giveBack(lease, delivery);
    } catch (err) {
      this.markUnsent(lease.leaseToken, agentId);
      throw err;
    }
  }

  private async giveBack(lease: LeasedTrial, delivery: TDelivery): Promise<void> {
    const { lifecycle, ends } = this.parts;
    if (delivery.answered) {
      await lifecycle.unlease({ trialId: lease.trialId, leaseToken: lease.leaseToken });
      ends.afterUnlease(unleasedAttempt(lease));
      return;
    }
    const e = await lifecycle.endAttempt({
      trialId: lease.trialId,
      leaseToken: lease.leaseToken,
      mode: "retry",
      code: "LEASE_NOT_DELIVERED",
      reason: delivery.reason,
    });
    if (e) ends.afterEnd(e, { signalAgent: true });
  }
}

/** The declined lease as the end listeners see it: the trial waits again with its attempt unspent. */
function unleasedAttempt(l: LeasedTrial): EndedAttempt {
  return {
    trialId: l.trialId,
    orgId: l.orgId,
    studyId: l.studyId,
    number: l.number,
    attempt: l.attempt - 1,
    state: "waiting",
    value: null,
    values: null,
    constraintValues: null,
    feasible: null,
    agentId: null,
    leaseToken: null,
  };
}

import type { AgentSocket } from "./agent-namespace.js";
import type { TValueMetrics } from "../lifecycle/trial-values.js";

/** An agent with a socket on this process, and what this process knows of its capacity. */
export interface ConnectedAgent {
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
  /**
   * The objective and constraint metrics of each trial this process leased to the agent, until
   * its attempt ends: a completion that carries their values is then one statement, with no
   * lookup (L1).
   */
  metricOf: Map<string, TValueMetrics>;
}

/**
 * The agents connected to this process, by id (Socket.IO rooms reach the others). Once
 * closed, it holds none and takes none: the gateway is shutting down.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, ConnectedAgent>();
  private isClosed = false;

  get closed(): boolean {
    return this.isClosed;
  }

  add(agentId: string, agent: ConnectedAgent): void {
    if (!this.isClosed) this.agents.set(agentId, agent);
  }

  get(agentId: string): ConnectedAgent | undefined {
    return this.agents.get(agentId);
  }

  /** Whether `agent` is still the entry for its id on an open socket (a reconnect replaces it). */
  isCurrent(agentId: string, agent: ConnectedAgent): boolean {
    return !this.isClosed && this.agents.get(agentId) === agent && agent.socket.connected;
  }

  /** Forgets the agent when `socket` is still its connection; true when it did. */
  removeSocket(agentId: string, socket: AgentSocket): boolean {
    if (this.agents.get(agentId)?.socket !== socket) return false;
    this.agents.delete(agentId);
    return true;
  }

  ids(): string[] {
    return [...this.agents.keys()];
  }

  entries(): Array<[string, ConnectedAgent]> {
    return [...this.agents.entries()];
  }

  /** The queue changed (trials inserted or returned to waiting): every agent may find work again. */
  wakeAll(): void {
    for (const a of this.agents.values()) a.starved = false;
  }

  /** A full round lifts `paused`: an agent's "ready" doorbell may have been lost; a busy one declines once more. */
  unpauseAll(): void {
    for (const a of this.agents.values()) a.paused = false;
  }

  /** The attempt ended: the agent has a free slot again. */
  release(agentId: string, trialId: string): void {
    const agent = this.agents.get(agentId);
    agent?.running.delete(trialId);
    agent?.metricOf.delete(trialId);
  }

  close(): void {
    this.isClosed = true;
    this.agents.clear();
  }
}

import { PROTOCOL_VERSION, type Logger, type PublishEvent, type TTrialEndCode, type TTrialSignal } from "@autoglm/protocol";
import type { StudyOptimizers } from "../agent-optimizer.js";
import type { EndedAttempt } from "../lifecycle/end-attempt.js";
import { agentRoom, type AgentNamespace } from "./agent-namespace.js";
import type { AgentRegistry } from "./agent-registry.js";

export interface TSignalTarget {
  agentId: string;
  trialId: string;
  leaseToken: string;
  code: TTrialEndCode;
  reason: string;
}

/**
 * What follows an attempt's end on this process, whoever ended it (agent, sweeper, user,
 * pruner): the agent's slot, the cached optimizer, live updates, the agent's stop signal and
 * the listeners (the scheduler loop tops the study up at once).
 */
export class TrialEnds {
  private readonly listeners: Array<(ended: EndedAttempt) => void> = [];

  constructor(
    private readonly parts: {
      logger: Logger;
      registry: AgentRegistry;
      optimizers: StudyOptimizers;
      namespace: AgentNamespace;
      publish?: PublishEvent | undefined;
    },
  ) {}

  addListener(listener: (ended: EndedAttempt) => void): void {
    this.listeners.push(listener);
  }

  afterEnd(e: EndedAttempt, options: { signalAgent?: boolean } = {}): void {
    const { registry, optimizers, publish } = this.parts;
    if (e.agentId) registry.release(e.agentId, e.trialId);
    if (e.state === "waiting") registry.wakeAll();
    if (e.state !== "waiting") optimizers.tell(e.studyId, { ...e, state: e.state });
    publish?.({ type: "trial:updated", orgId: e.orgId, studyId: e.studyId, trialId: e.trialId });
    if (e.state === "complete") publish?.({ type: "study:updated", orgId: e.orgId, studyId: e.studyId });
    if (options.signalAgent !== false && e.agentId && e.leaseToken) {
      this.signal(e.state === "pruned" ? "prune" : "stop", {
        agentId: e.agentId,
        trialId: e.trialId,
        leaseToken: e.leaseToken,
        code: e.state === "pruned" ? "PRUNED" : "USER_STOPPED",
        reason: "the trial was ended by the server",
      });
    }
    this.tellListeners(e);
  }

  /** A lease taken back before it started (the agent declined it): the trial waits again, no attempt spent. */
  afterUnlease(e: EndedAttempt): void {
    this.parts.registry.wakeAll();
    this.tellListeners(e);
  }

  /** Tells the agent holding a trial to stop it, through its room (agentRoom). */
  signal(kind: "prune" | "stop", t: TSignalTarget): void {
    const payload: TTrialSignal = {
      v: PROTOCOL_VERSION,
      trialId: t.trialId,
      leaseToken: t.leaseToken,
      code: t.code,
      reason: t.reason,
    };
    agentRoom(this.parts.namespace, t.agentId).emit(kind === "prune" ? "trial:prune" : "trial:stop", payload);
  }

  private tellListeners(e: EndedAttempt): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.parts.logger.warn("trial-ended listener failed", {
          trialId: e.trialId,
          studyId: e.studyId,
          agentId: e.agentId,
          error: String(err),
        });
      }
    }
  }
}

import type { DbHandle } from "@autoglm/db/client";
import { leaseTrial, type LeasedTrial } from "../lease-trial.js";
import { leaseTrials } from "../lease-trials.js";

interface TWaiting {
  agentId: string;
  resolve: (lease: LeasedTrial | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Leases for the agents that ask in the same moment with ONE statement (L1): requests made
 * while a statement runs, or in the same turn of the event loop, go out together in the next
 * (group commit). One request alone takes the one-agent statement (leaseTrial). An agent
 * the batch's greedy match left without a trial, while one it may fit was left over, asks
 * again alone. Callers ask for one agent at a time (the pump's chain per agent), so an
 * agent is never twice in one batch.
 */
export class LeaseBatcher {
  private waiting: TWaiting[] = [];
  private flushing = false;

  constructor(private readonly parts: { db: DbHandle; leaseTtlMs: number }) {}

  /** A trial leased to the agent, or null when none fits it now. */
  lease(agentId: string): Promise<LeasedTrial | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ agentId, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      await this.leaseFor(batch);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
    if (this.waiting.length > 0) setImmediate(() => void this.flush());
    else this.flushing = false;
  }

  private async leaseFor(batch: TWaiting[]): Promise<void> {
    const { db, leaseTtlMs } = this.parts;
    const only = batch.length === 1 ? batch[0] : undefined;
    if (only) {
      only.resolve(await leaseTrial(db, { agentId: only.agentId, leaseTtlMs }));
      return;
    }
    const { leases, mayFitMore } = await leaseTrials(db, { agentIds: batch.map((w) => w.agentId), leaseTtlMs });
    const missed: TWaiting[] = [];
    for (const w of batch) {
      const lease = leases.get(w.agentId);
      if (lease) w.resolve(lease);
      else missed.push(w);
    }
    if (!mayFitMore) {
      for (const w of missed) w.resolve(null);
      return;
    }
    await Promise.all(
      missed.map((w) =>
        leaseTrial(db, { agentId: w.agentId, leaseTtlMs }).then(
          (lease) => w.resolve(lease),
          (err: unknown) => w.reject(err),
        ),
      ),
    );
  }
}

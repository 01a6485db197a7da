import type { EventEmitter } from "node:events";
import type { TGpu, TLeaseRef, TTrialComplete } from "@autoglm/protocol";
import type { Outbox } from "./outbox.js";
import type { StopReason, TrialRun } from "./trial-runner.js";

export interface RunningTrialInfo {
  trialId: string;
  attempt: number;
  leaseToken: string;
  pid: number | undefined;
  gpus: number[];
  outputDir: string;
  stopReason: StopReason | null;
  /**
   * The process has exited and its completion is on its way: its GPUs and slot are free (a
   * next lease may already run beside it), the slot is kept until the server acknowledges.
   */
  exited: boolean;
}

/** One attempt held by this agent, from its lease until its completion is acknowledged (or fenced). */
export interface TrialSlot {
  run: TrialRun;
  /** The next report's sequence number (the server's idempotency key, R7). */
  seq: number;
  /** Its reports; closed once the slot is released. */
  outbox: Outbox;
  /** How the process ended, once it has (the queued completion's outcome). */
  outcome?: TTrialComplete["outcome"] | "none";
}

export function leaseRefOf(run: TrialRun): TLeaseRef {
  return { trialId: run.lease.trialId, attempt: run.lease.attempt, leaseToken: run.lease.leaseToken };
}

/**
 * Which attempt holds which trial on this agent, and what it uses: a slot (capacity
 * `maxTrials`) and GPUs. A process that has exited frees both at once, though its slot is
 * kept until the server has acknowledged its completion.
 */
export class SlotTable {
  private readonly slots = new Map<string, TrialSlot>();
  /** GPUs held by serving replicas (by replica id); each such replica also takes one trial slot. */
  private readonly replicaGpus = new Map<string, number[]>();

  constructor(
    private readonly gpus: TGpu[],
    readonly maxTrials: number,
    /** The agent's public events: "released" is emitted here. */
    private readonly events: EventEmitter,
    /** Capacity was freed (a process exited or a slot was released). */
    private readonly onFreed: () => void,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  get(trialId: string): TrialSlot | undefined {
    return this.slots.get(trialId);
  }

  /** The run's slot while the run is still its trial's current attempt here. */
  slotOf(run: TrialRun): TrialSlot | undefined {
    const slot = this.slots.get(run.lease.trialId);
    return slot && slot.run === run ? slot : undefined;
  }

  all(): TrialSlot[] {
    return [...this.slots.values()];
  }

  add(slot: TrialSlot): void {
    this.slots.set(slot.run.lease.trialId, slot);
  }

  /**
   * A serving replica takes these GPUs and one slot while it runs. A replica without GPUs
   * takes nothing: it shares the CPU with the trials, as a command trial asking for no GPU does.
   */
  reserveForReplica(replicaId: string, gpus: number[]): void {
    if (gpus.length > 0) this.replicaGpus.set(replicaId, gpus);
  }

  releaseReplica(replicaId: string): void {
    if (this.replicaGpus.delete(replicaId)) this.onFreed();
  }

  /** Processes still running (trials, and replicas holding GPUs); the server may lease again as soon as it has stored a completion. */
  busy(): number {
    let n = this.replicaGpus.size;
    for (const s of this.slots.values()) if (!s.run.exited) n++;
    return n;
  }

  freeGpus(): number[] {
    const used = new Set<number>([...this.replicaGpus.values()].flat());
    // An exited process frees its GPUs at once, even while its completion is being acknowledged.
    for (const s of this.slots.values()) if (!s.run.exited) for (const g of s.run.gpus) used.add(g);
    return this.gpus.map((g) => g.index).filter((i) => !used.has(i));
  }

  /** Leases not yet settled with the server, as sent with agent:register and agent:heartbeat. */
  heldLeases(): TLeaseRef[] {
    return this.all()
      .filter((s) => !s.outbox.closed)
      .map((s) => leaseRefOf(s.run));
  }

  /** A slot's process exited: its slot and GPUs can take a new lease, though the slot is kept until released. */
  capacityFreed(): void {
    this.onFreed();
  }

  release(slot: TrialSlot): void {
    if (slot.outbox.closed) return;
    slot.outbox.close();
    if (this.slots.get(slot.run.lease.trialId) === slot) this.slots.delete(slot.run.lease.trialId);
    this.events.emit("released", slot.run.lease.trialId);
    this.onFreed();
  }

  /** Resolves once the slot is released. */
  whenReleased(slot: TrialSlot): Promise<void> {
    return new Promise<void>((resolve) => {
      if (slot.outbox.closed) return resolve();
      const check = (id: string) => {
        if (id === slot.run.lease.trialId && slot.outbox.closed) {
          this.events.off("released", check);
          resolve();
        }
      };
      this.events.on("released", check);
    });
  }

  info(): RunningTrialInfo[] {
    return this.all().map(({ run }) => ({
      trialId: run.lease.trialId,
      attempt: run.lease.attempt,
      leaseToken: run.lease.leaseToken,
      pid: run.pid,
      gpus: run.gpus,
      outputDir: run.outputDir,
      stopReason: run.stopReason,
      exited: run.exited,
    }));
  }
}

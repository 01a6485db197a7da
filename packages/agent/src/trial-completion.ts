import { PROTOCOL_VERSION, ZCompleteAck, type TTrialComplete } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import { leaseRefOf } from "./slot-table.js";
import { markFenced } from "./stale-lease.js";
import type { TrialRun } from "./trial-runner.js";

/** How a run ended, as TrialRun reports it; null when it was stopped as stale (nothing to report). */
export type TrialOutcome = Omit<TTrialComplete, "v" | "seq" | "trialId" | "attempt" | "leaseToken"> | null;

/**
 * A run's process ended: queue its completion behind its metric reports and free the slot
 * once the server has answered (at once when there is nothing to report).
 */
export function completeTrial(core: AgentCore, run: TrialRun, outcome: TrialOutcome): void {
  const slot = core.slots.slotOf(run);
  if (!slot) return;
  slot.outcome = outcome?.outcome ?? "none";
  core.events.emit("trial-exit", { trialId: run.lease.trialId, outcome: outcome?.outcome ?? "stale", run });
  core.slots.capacityFreed();
  if (!outcome) return core.slots.release(slot);
  const payload = { v: PROTOCOL_VERSION, ...leaseRefOf(run), seq: slot.seq++, ...outcome };
  slot.outbox.send("trial:complete", payload, (ack) => {
    const parsed = ZCompleteAck.safeParse(ack);
    if (parsed.success && !parsed.data.ok) {
      if (parsed.data.error.code === "STALE_LEASE") markFenced(run);
      core.logger.warn("completion refused", { trialId: run.lease.trialId, error: parsed.data.error });
    }
    core.slots.release(slot);
  });
}

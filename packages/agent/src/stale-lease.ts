import { writeFileSync } from "node:fs";
import path from "node:path";
import type { TLeaseRef } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import { FENCED_MARKER, type TrialRun } from "./trial-runner.js";

/** This attempt's results were refused: a later attempt here must not resume from its checkpoint (FENCED_MARKER). */
export function markFenced(run: TrialRun): void {
  try {
    writeFileSync(path.join(run.outputDir, FENCED_MARKER), "the server no longer leased this attempt\n");
  } catch {
    /* no output directory (the process never started) */
  }
}

/** The server no longer leases this attempt to us (`via`: the message that said so). */
export function stopStaleTrial(core: AgentCore, run: TrialRun, via: string): void {
  if (!core.slots.slotOf(run)) return;
  // Already being stopped on the server's word (pruned, stopped): the server ended the
  // attempt, so "stale" is expected; the completion still carries the log tail.
  if (run.stopReason && run.stopReason !== "stale") return;
  core.events.emit("stale", run.lease.trialId, via);
  // An exited run's completion is already queued; the server's answer releases the slot.
  if (run.exited) return;
  // Still running, yet the server ended it without asking us (lease lapsed while we were cut
  // off, or a lease it never saw us accept): fenced.
  markFenced(run);
  core.logger.warn("the server no longer leases this trial to us; stopping it", {
    trialId: run.lease.trialId,
    attempt: run.lease.attempt,
    via,
  });
  // Another agent holds the trial now (R2): stop ours at once, report nothing.
  run.stop("stale", Math.min(core.settings.killGraceMs, 2_000));
}

/**
 * Stale ids answer the refs we SENT: match on the token too, or a heartbeat that carried
 * attempt 1 (finished meanwhile) would kill attempt 2 of the same trial leased since.
 */
export function stopStaleTrials(core: AgentCore, ids: string[], sent: TLeaseRef[], via: string): void {
  const tokenOf = new Map(sent.map((r) => [r.trialId, r.leaseToken]));
  for (const id of ids) {
    const slot = core.slots.get(id);
    if (slot && slot.run.lease.leaseToken === tokenOf.get(id)) stopStaleTrial(core, slot.run, via);
  }
}

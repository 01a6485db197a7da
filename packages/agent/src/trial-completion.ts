import { PROTOCOL_VERSION, ZCompleteAck, type TTrialComplete } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import { uploadArtifacts } from "./artifact-upload.js";
import { leaseRefOf } from "./slot-table.js";
import { markFenced } from "./stale-lease.js";
import type { TrialRun } from "./trial-runner.js";

/** How a run ended, as TrialRun reports it; null when it was stopped as stale (nothing to report). */
export type TrialOutcome = Omit<TTrialComplete, "v" | "seq" | "trialId" | "attempt" | "leaseToken"> | null;

/**
 * A run's process ended: upload its output files, then queue its completion behind its metric
 * reports and free the slot once the server has answered (at once when there is nothing to report).
 */
export function completeTrial(core: AgentCore, run: TrialRun, outcome: TrialOutcome): void {
  const slot = core.slots.slotOf(run);
  if (!slot) return;
  slot.outcome = outcome?.outcome ?? "none";
  core.events.emit("trial-exit", { trialId: run.lease.trialId, outcome: outcome?.outcome ?? "stale", run });
  core.slots.capacityFreed();
  if (!outcome) return core.slots.release(slot);
  if (!keepsOutput(run, outcome)) return sendCompletion(core, run, outcome);
  // Uploads go first, while the lease still fences them; what was not uploaded is said in the log tail.
  const { server, token } = core.settings;
  const budgetMs = outcome.outcome === "complete" ? undefined : ENDED_UPLOAD_BUDGET_MS;
  uploadArtifacts({ server, token, lease: run.lease, outputDir: run.outputDir, logger: core.logger, budgetMs })
    .catch((err: unknown) => [`[agent] artifacts not uploaded: ${(err as Error).message}`])
    .then((lines) =>
      sendCompletion(core, run, lines.length ? { ...outcome, logTail: withLines(outcome.logTail, lines) } : outcome),
    );
}

/**
 * Attempts whose output is kept: the ones that ran to an end of their own, the pruner's, or a
 * user's or the study's stop. Not a hand-back (the trial runs again) nor an attempt found
 * stale (another attempt holds the trial: the server would refuse every file).
 */
function keepsOutput(run: TrialRun, outcome: NonNullable<TrialOutcome>): boolean {
  if (outcome.outcome === "stopped") return run.stopReason === "stop";
  return outcome.outcome === "complete" || outcome.outcome === "pruned" || outcome.outcome === "failed";
}

/**
 * The upload time of an attempt that did not complete (pruned, failed, stopped): its end
 * waits on its uploads (a failed trial's retry, the slot, the server's 5-minute window for a
 * server-ended attempt), so a stop is held up 30 s at most; files that did not fit are named
 * in the log tail. A completed attempt's files, the ones registered as models, have no such
 * limit (only run.artifacts_max_mb).
 */
const ENDED_UPLOAD_BUDGET_MS = 30_000;
/** ZTrialComplete's bound on the log tail. */
const MAX_LOG_TAIL = 65_536;

function withLines(tail: string | undefined, lines: string[]): string {
  const text = `${tail ?? ""}${tail && !tail.endsWith("\n") ? "\n" : ""}${lines.join("\n")}\n`;
  return text.length > MAX_LOG_TAIL ? text.slice(text.length - MAX_LOG_TAIL) : text;
}

function sendCompletion(core: AgentCore, run: TrialRun, outcome: NonNullable<TrialOutcome>): void {
  const slot = core.slots.slotOf(run);
  if (!slot) return;
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

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
  if (!UPLOADED_OUTCOMES.has(outcome.outcome)) return sendCompletion(core, run, outcome);
  // Uploads go first, while the lease still fences them; what was not uploaded is said in the log tail.
  const { server, token } = core.settings;
  uploadArtifacts({ server, token, lease: run.lease, outputDir: run.outputDir, logger: core.logger })
    .catch((err: unknown) => [`[agent] artifacts not uploaded: ${(err as Error).message}`])
    .then((lines) =>
      sendCompletion(core, run, lines.length ? { ...outcome, logTail: withLines(outcome.logTail, lines) } : outcome),
    );
}

/** Attempts whose output is kept: the ones that ran to an end of their own or the pruner's. */
const UPLOADED_OUTCOMES = new Set(["complete", "pruned", "failed"]);
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

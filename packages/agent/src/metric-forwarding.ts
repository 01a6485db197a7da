import { PROTOCOL_VERSION, ZMetricAck, type TMetricValues } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import { leaseRefOf } from "./slot-table.js";
import { stopStaleTrial } from "./stale-lease.js";
import type { TrialRun } from "./trial-runner.js";

/** ZTrialMetric takes at most 1000 points per message: a longer flush is split. */
const POINTS_PER_MESSAGE = 1000;

/**
 * A run's metric points, forwarded through its slot's outbox. The ack is where the pruner
 * answers (stop the run) and where a lease that lapsed shows (stop it as stale).
 */
export function forwardPoints(core: AgentCore, run: TrialRun, points: Array<{ step: number; metrics: TMetricValues }>): void {
  const slot = core.slots.slotOf(run);
  if (!slot) return;
  for (let i = 0; i < points.length; i += POINTS_PER_MESSAGE) {
    const payload = { v: PROTOCOL_VERSION, ...leaseRefOf(run), seq: slot.seq++, points: points.slice(i, i + POINTS_PER_MESSAGE) };
    slot.outbox.send("trial:metric", payload, (ack) => onMetricAck(core, run, ack));
  }
}

function onMetricAck(core: AgentCore, run: TrialRun, ack: unknown): void {
  const parsed = ZMetricAck.safeParse(ack);
  if (!parsed.success) return;
  if (parsed.data.ok) {
    if (parsed.data.prune) {
      core.events.emit("prune", run.lease.trialId);
      run.stop("prune");
    }
  } else if (parsed.data.error.code === "STALE_LEASE") {
    stopStaleTrial(core, run, "metric");
  } else {
    core.logger.warn("metrics rejected", { trialId: run.lease.trialId, error: parsed.data.error });
  }
}

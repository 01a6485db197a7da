import { ZTrialLease, type TLeaseAck, type TTrialLease } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import type { AgentPart } from "./agent-part.js";
import { sleep } from "./connection.js";
import { forwardPoints } from "./metric-forwarding.js";
import { Outbox } from "./outbox.js";
import type { TrialSlot } from "./slot-table.js";
import { markFenced, stopStaleTrials } from "./stale-lease.js";
import { completeTrial } from "./trial-completion.js";

/**
 * The trial-lease part: answers trial:lease (accept and start a TrialRun, or decline with a
 * reason), reports the leases it holds, and hands them back on shutdown (R10).
 */
export function trialLeases(core: AgentCore): AgentPart {
  core.connection.socket.on("trial:lease", (payload: unknown, ack: (r: TLeaseAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZTrialLease.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: parsed.error.message.slice(0, 500) } });
    const decision = decide(core, parsed.data);
    if ("answer" in decision) return reply(decision.answer);
    startTrial(core, parsed.data, decision.gpus, () => reply({ ok: true, accepted: true }));
  });
  return {
    heldLeases: () => core.slots.heldLeases(),
    dropStale: (ids, sent, via) => stopStaleTrials(core, ids, sent, via),
    // No result of ours will be accepted any more, so the running trials only burn GPUs.
    // Stop them (their leases lapse and are re-leased).
    onTokenRefused: () => {
      for (const s of core.slots.all()) if (!s.run.exited) s.run.stop("stale", Math.min(core.settings.killGraceMs, 2_000));
    },
    drain: () => handBack(core),
  };
}

/** Accept the lease on these GPUs, or answer it now (a replay of the one we hold, or a decline with its reason). */
function decide(core: AgentCore, lease: TTrialLease): { gpus: number[] } | { answer: TLeaseAck } {
  const existing = core.slots.get(lease.trialId);
  if (existing && existing.run.lease.leaseToken === lease.leaseToken) return { answer: { ok: true, accepted: true } };
  const decline = (reason: string) => ({ answer: { ok: true as const, accepted: false, reason } });
  if (core.isStopping()) return decline("the agent is shutting down");
  if (existing && !existing.run.exited) return decline("the agent is still running another attempt of this trial");
  if (existing) settleEarlierAttempt(core, existing);
  if (core.slots.busy() >= core.slots.maxTrials) return decline("no free trial slot");
  const free = core.slots.freeGpus();
  if (free.length < lease.run.resources.gpus) return decline("not enough free GPUs");
  return { gpus: free.slice(0, lease.run.resources.gpus) };
}

/**
 * The old attempt's process is gone and the server has re-leased the trial, so it has
 * settled that attempt: drop our pending report of it. Had the server accepted a
 * complete / pruned / stopped report, it would never re-lease the trial: it refused it
 * (the lease lapsed meanwhile), so that attempt is fenced and not resumed from (R8).
 */
function settleEarlierAttempt(core: AgentCore, existing: TrialSlot): void {
  if (
    !existing.outbox.closed &&
    (existing.outcome === "complete" || existing.outcome === "pruned" || existing.outcome === "stopped")
  ) {
    markFenced(existing.run);
  }
  core.slots.release(existing);
}

/** Takes a slot for the lease, acknowledges it (`accept`), then starts the process. */
function startTrial(core: AgentCore, lease: TTrialLease, gpus: number[], accept: () => void): void {
  const run = core.launcher.create(lease, gpus, {
    onPoints: (r, points) => forwardPoints(core, r, points),
    onExit: (r, outcome) => completeTrial(core, r, outcome),
  });
  core.slots.add({ run, seq: 0, outbox: new Outbox(core.connection, core.logger) });
  accept();
  core.events.emit("lease", lease);
  core.logger.info("trial started", { trialId: lease.trialId, number: lease.number, attempt: lease.attempt, gpus });
  run.start();
}

/** R10: SIGTERM every run, give it the shutdown grace to checkpoint, and wait (bounded) for the hand-backs to be acknowledged. */
async function handBack(core: AgentCore): Promise<number> {
  const { killGraceMs, shutdownGraceMs, ackTimeoutMs } = core.settings;
  const pending = core.slots.all();
  for (const s of pending) s.run.stop("shutdown", Math.min(killGraceMs, shutdownGraceMs));
  await Promise.race([
    Promise.all(pending.map((s) => core.slots.whenReleased(s))),
    sleep(shutdownGraceMs + ackTimeoutMs + 2_000),
  ]);
  return pending.length;
}

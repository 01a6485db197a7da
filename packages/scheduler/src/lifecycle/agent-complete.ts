import { fillAttemptLogTailById, findTrialLeaseById, lastTrialValueById, type SqlDb } from "@autoglm/db/queries";
import type { DbHandle } from "@autoglm/db/client";
import type { TTrialComplete, TTrialEndCode } from "@autoglm/protocol";
import { endAttempt, isRetryable, type EndAttemptInput, type EndedAttempt } from "./end-attempt.js";

export type CompleteResult =
  | { ok: true; duplicate: false; ended: EndedAttempt }
  | { ok: true; duplicate: true; state: EndedAttempt["state"] | "running" }
  | { ok: false; code: "STALE_LEASE" | "UNAUTHORIZED"; message: string };

const STALE = { ok: false, code: "STALE_LEASE", message: "this attempt no longer holds the trial's lease" } as const;

/**
 * An agent reports the end of an attempt. The objective's final value is the explicit
 * `final` line, else the last reported value of the objective metric; exit 0 without either
 * fails the trial USER_NO_OBJECTIVE. A replay of a completion already stored (same trial,
 * same token) is acknowledged as a duplicate and changes nothing but a missing log tail (R7).
 */
export async function completeAgentTrial(
  handle: DbHandle,
  input: { agentId: string; msg: TTrialComplete },
): Promise<CompleteResult> {
  const m = input.msg;
  const trial = await findTrialLeaseById(handle, m.trialId, input.agentId);
  // S13: the agent's token no longer acts for its team (owner removed, made a viewer or
  // deactivated; token revoked): its result is not stored, whatever it claims.
  if (trial && trial.agentMayAct !== true) {
    return { ok: false, code: "UNAUTHORIZED", message: "this agent's token can no longer act in its team" };
  }
  const holds =
    trial?.leaseToken === m.leaseToken &&
    trial.attempt === m.attempt &&
    trial.agentId === input.agentId &&
    trial.leaseKind === "agent";
  if (!trial || !holds) return STALE;
  if (trial.state !== "running") {
    if (m.logTail) await fillAttemptLogTailById(handle, { trialId: m.trialId, attempt: m.attempt, logTail: m.logTail });
    return { ok: true, duplicate: true, state: trial.state as EndedAttempt["state"] };
  }
  const ended = await endAttempt(handle, await endOf(handle, input.agentId, m, trial.metric));
  if (ended) return { ok: true, duplicate: false, ended };
  // Lost a race with the sweeper, a prune or a stop between the read and the update.
  const now = await findTrialLeaseById(handle, m.trialId);
  if (now && now.leaseToken === m.leaseToken && now.state !== "running") {
    return { ok: true, duplicate: true, state: now.state as EndedAttempt["state"] };
  }
  return STALE;
}

/** How the attempt ends, from what the agent reported. */
async function endOf(db: SqlDb, agentId: string, m: TTrialComplete, metric: string): Promise<EndAttemptInput> {
  const base = {
    trialId: m.trialId,
    leaseToken: m.leaseToken,
    agentId,
    lastStep: m.lastStep ?? null,
    logTail: m.logTail ?? null,
  };
  const failed = (code: TTrialEndCode, reason: string): EndAttemptInput => ({
    ...base,
    mode: isRetryable(code) ? "retry" : "failed",
    code,
    reason,
  });
  switch (m.outcome) {
    case "complete": {
      const value = m.final?.[metric] ?? m.lastMetrics?.[metric] ?? (await lastTrialValueById(db, m.trialId))?.value;
      return value === undefined
        ? failed("USER_NO_OBJECTIVE", `the command exited 0 but reported no value of "${metric}"`)
        : { ...base, mode: "complete", code: "COMPLETED", reason: "completed", value };
    }
    case "failed":
      return failed(m.code ?? "USER_COMMAND_EXIT_NONZERO", m.reason ?? describeExit(m.exitCode, m.signal));
    case "pruned": {
      const last = await lastTrialValueById(db, m.trialId);
      return { ...base, mode: "pruned", code: "PRUNED", reason: m.reason ?? "pruned", value: last?.value ?? null };
    }
    case "stopped":
      return { ...base, mode: "failed", code: "USER_STOPPED", reason: m.reason ?? "stopped" };
    case "handback":
      return {
        ...base,
        mode: "retry",
        code: "AGENT_SHUTDOWN",
        reason: m.reason ?? "the agent shut down and handed the trial back",
      };
    case "rejected":
      return { ...base, mode: "retry", code: "LEASE_REJECTED", reason: m.reason ?? "the agent could not start the trial" };
  }
}

function describeExit(exitCode: number | null, signal: string | null): string {
  if (signal) return `the command was killed by ${signal}`;
  return `the command exited with code ${exitCode ?? "unknown"}`;
}

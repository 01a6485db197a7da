import {
  fillAttemptReportById,
  findTrialLeaseById,
  lastTrialValueById,
  type SqlDb,
  type TLeaseRequest,
} from "@autoglm/db/queries";
import type { DbHandle } from "@autoglm/db/client";
import type { TTrialComplete, TTrialEndCode } from "@autoglm/protocol";
import { leasedTrialOf, type LeasedTrial } from "../lease-trial.js";
import { endAttempt, endAttemptThenLease, isRetryable, type EndAttemptInput, type EndedAttempt } from "./end-attempt.js";
import { missingMetricReason, readTrialValues, type TValueMetrics } from "./trial-values.js";

export type CompleteResult =
  | {
      ok: true;
      duplicate: false;
      ended: EndedAttempt;
      /** With `leaseNext`: the trial leased into the freed slot (null: none fits); absent when no lease was tried. */
      next?: LeasedTrial | null;
    }
  | { ok: true; duplicate: true; state: EndedAttempt["state"] | "running" }
  | { ok: false; code: "STALE_LEASE" | "UNAUTHORIZED"; message: string };

const STALE = { ok: false, code: "STALE_LEASE", message: "this attempt no longer holds the trial's lease" } as const;

/**
 * An agent reports the end of an attempt. Each objective's and constraint's final value is
 * the explicit `final` line's, else the last reported value of that metric; exit 0 without
 * an objective fails the trial USER_NO_OBJECTIVE, without a constraint's metric
 * USER_NO_CONSTRAINT_METRIC (trial-values.ts). A replay of a completion already stored (same trial,
 * same token) is acknowledged as a duplicate and changes nothing but a missing log tail (R7).
 *
 * `metrics` are the study's objective and constraint metrics when the caller knows them (the gateway remembers it
 * for the leases it handed out). Then an ordinary completion is ONE statement: the end of the
 * attempt, fenced on the lease, the attempt and the token's right to act. Only when that
 * matches nothing (a replay, a stale lease, a revoked token) or the value needs a read is the
 * trial looked up to say why. An idle agent waits through this before its next lease (L1).
 */
export async function completeAgentTrial(
  handle: DbHandle,
  input: {
    agentId: string;
    msg: TTrialComplete;
    metrics?: TValueMetrics | undefined;
    leaseNext?: Omit<TLeaseRequest, "agentId"> | undefined;
  },
): Promise<CompleteResult> {
  const m = input.msg;
  const direct = endWithoutReads(input.agentId, m, input.metrics);
  if (direct) {
    const fenced = { ...direct, agentId: input.agentId, attempt: m.attempt, agentMustAct: true };
    if (input.leaseNext) {
      const r = await endAttemptThenLease(handle, fenced, input.leaseNext);
      if (r.ended) return { ok: true, duplicate: false, ended: r.ended, next: r.lease ? leasedTrialOf(r.lease) : null };
    } else {
      const ended = await endAttempt(handle, fenced);
      if (ended) return { ok: true, duplicate: false, ended };
    }
  }
  return completeAfterLookup(handle, input.agentId, m);
}

/** The completion checked against the trial's row first: says why nothing matched, or reads the value it needs. */
async function completeAfterLookup(handle: DbHandle, agentId: string, m: TTrialComplete): Promise<CompleteResult> {
  const trial = await findTrialLeaseById(handle, m.trialId, agentId);
  // S13: the agent's token no longer acts for its team (owner removed, made a viewer or
  // deactivated; token revoked): its result is not stored, whatever it claims.
  if (trial && trial.agentMayAct !== true) {
    return { ok: false, code: "UNAUTHORIZED", message: "this agent's token can no longer act in its team" };
  }
  const holds =
    trial?.leaseToken === m.leaseToken && trial.attempt === m.attempt && trial.agentId === agentId && trial.leaseKind === "agent";
  if (!trial || !holds) return STALE;
  if (trial.state !== "running") {
    await keepReport(handle, m);
    return { ok: true, duplicate: true, state: trial.state as EndedAttempt["state"] };
  }
  const ended = await endAttempt(handle, await endOf(handle, agentId, m, trial.valueMetrics));
  if (ended) return { ok: true, duplicate: false, ended };
  // Lost a race with the sweeper, a prune or a stop between the read and the update.
  const now = await findTrialLeaseById(handle, m.trialId);
  if (now && now.leaseToken === m.leaseToken && now.state !== "running") {
    await keepReport(handle, m);
    return { ok: true, duplicate: true, state: now.state as EndedAttempt["state"] };
  }
  return STALE;
}

/** An attempt the server ended first (prune, stop) still gets the log tail and source its agent reports. */
async function keepReport(db: SqlDb, m: TTrialComplete): Promise<void> {
  if (!m.logTail && !m.source) return;
  await fillAttemptReportById(db, {
    trialId: m.trialId,
    attempt: m.attempt,
    logTail: m.logTail || null,
    source: m.source ?? null,
  });
}

/** How the attempt ends, from what the agent reported and, where it said nothing, the stored values. */
async function endOf(db: SqlDb, agentId: string, m: TTrialComplete, vm: TValueMetrics): Promise<EndAttemptInput> {
  const known = endWithoutReads(agentId, m, vm);
  if (known) return known;
  const last = await lastTrialValueById(db, m.trialId);
  if (m.outcome === "pruned") {
    return { ...baseOf(agentId, m), mode: "pruned", code: "PRUNED", reason: m.reason ?? "pruned", value: last?.value ?? null };
  }
  const read = readTrialValues(vm, { ...m.lastMetrics, ...m.final });
  if (read.ok) return completed(agentId, m, read);
  // An agent that sent no last metrics: one objective's stored curve still gives its value.
  const single = vm.objectives.length === 1 && vm.constraints.length === 0;
  return single && last !== null
    ? completed(agentId, m, { value: last.value, values: [last.value], constraintValues: null })
    : failed(agentId, m, read.code, missingMetricReason(read));
}

function completed(
  agentId: string,
  m: TTrialComplete,
  v: { value: number; values: number[]; constraintValues: number[] | null },
): EndAttemptInput {
  return { ...baseOf(agentId, m), mode: "complete", code: "COMPLETED", reason: "completed", ...v };
}

/**
 * How the attempt ends when the report alone says it: null when the stored values must be read
 * (a pruned trial's last value; a completion whose value is not in the message, or whose
 * study's metric the caller does not know).
 */
function endWithoutReads(agentId: string, m: TTrialComplete, vm: TValueMetrics | undefined): EndAttemptInput | null {
  switch (m.outcome) {
    case "complete": {
      if (vm === undefined) return null;
      const read = readTrialValues(vm, { ...m.lastMetrics, ...m.final });
      return read.ok ? completed(agentId, m, read) : null;
    }
    case "failed":
      return failed(agentId, m, m.code ?? "USER_COMMAND_EXIT_NONZERO", m.reason ?? describeExit(m.exitCode, m.signal));
    case "pruned":
      return null;
    case "stopped":
      return { ...baseOf(agentId, m), mode: "failed", code: "USER_STOPPED", reason: m.reason ?? "stopped" };
    case "handback":
      return {
        ...baseOf(agentId, m),
        mode: "retry",
        code: "AGENT_SHUTDOWN",
        reason: m.reason ?? "the agent shut down and handed the trial back",
      };
    case "rejected":
      return {
        ...baseOf(agentId, m),
        mode: "retry",
        code: "LEASE_REJECTED",
        reason: m.reason ?? "the agent could not start the trial",
      };
  }
}

function baseOf(agentId: string, m: TTrialComplete) {
  return {
    trialId: m.trialId,
    leaseToken: m.leaseToken,
    agentId,
    lastStep: m.lastStep ?? null,
    logTail: m.logTail ?? null,
    source: m.source ?? null,
  };
}

function failed(agentId: string, m: TTrialComplete, code: TTrialEndCode, reason: string): EndAttemptInput {
  return { ...baseOf(agentId, m), mode: isRetryable(code) ? "retry" : "failed", code, reason };
}

function describeExit(exitCode: number | null, signal: string | null): string {
  if (signal) return `the command was killed by ${signal}`;
  return `the command exited with code ${exitCode ?? "unknown"}`;
}

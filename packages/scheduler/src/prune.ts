import type { DbHandle } from "@autoglm/db/client";
import { endAttempt, type EndedAttempt } from "./retry.js";

/**
 * The pruner decided: the trial is marked `pruned` with its last intermediate value at once
 * (Optuna's convention), so the decision survives the agent dying before it stops the
 * process; the lease token stays on the row, so the agent's own `pruned` completion is
 * acknowledged as a duplicate, and a heartbeat still naming the trial is told it is stale.
 */
export function pruneTrial(
  handle: DbHandle,
  input: { trialId: string; leaseToken: string; value: number | null; step: number | null; why?: string },
): Promise<EndedAttempt | null> {
  const at = input.step === null ? "pruned by the study's pruner" : `pruned by the study's pruner at step ${input.step}`;
  return endAttempt(handle, {
    trialId: input.trialId,
    leaseToken: input.leaseToken,
    mode: "pruned",
    code: "PRUNED",
    reason: input.why ? `${at} (${input.why})` : at,
    value: input.value,
    lastStep: input.step,
  });
}

/**
 * A user stops one agent-leased trial (dashboard or CLI), tenant-scoped by `orgId`: a trial
 * of another org answers exactly like a missing one (null). Waiting trials fail directly.
 */
export async function stopTrial(
  handle: DbHandle,
  input: { orgId: string; trialId: string; reason?: string },
): Promise<EndedAttempt | null> {
  const reason = input.reason ?? "stopped by a user";
  const running = await endAttempt(handle, {
    trialId: input.trialId,
    orgId: input.orgId,
    mode: "failed",
    code: "USER_STOPPED",
    reason,
  });
  if (running) return running;
  const rows = await handle.query<Record<string, unknown>>(
    `UPDATE trials SET state = 'failed', end_code = 'USER_STOPPED', end_reason = $3, finished_at = now(), updated_at = now()
     WHERE id = $1 AND org_id = $2 AND state = 'waiting'
     RETURNING id, org_id, study_id, number, attempt`,
    [input.trialId, input.orgId, reason],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    trialId: String(r.id),
    orgId: String(r.org_id),
    studyId: String(r.study_id),
    number: Number(r.number),
    attempt: Number(r.attempt),
    state: "failed",
    value: null,
    agentId: null,
    leaseToken: null,
  };
}

/**
 * Ends every waiting and agent-running trial of a study (the study was stopped, or
 * `budget.max_failures` was reached). Returns the running ones so the caller can tell their
 * agents; an agent that misses the message learns it from its next heartbeat (stale).
 */
export async function stopStudyTrials(
  handle: DbHandle,
  input: { orgId: string; studyId: string; code: "STUDY_STOPPED"; reason: string },
): Promise<EndedAttempt[]> {
  await handle.query(
    `UPDATE trials SET state = 'failed', end_code = $3, end_reason = $4, finished_at = now(), updated_at = now()
     WHERE study_id = $1 AND org_id = $2 AND state = 'waiting'`,
    [input.studyId, input.orgId, input.code, input.reason],
  );
  const running = await handle.query<{ id: string }>(
    `SELECT id FROM trials WHERE study_id = $1 AND org_id = $2 AND state = 'running' AND lease_kind = 'agent'`,
    [input.studyId, input.orgId],
  );
  const ended: EndedAttempt[] = [];
  for (const r of running) {
    const e = await endAttempt(handle, {
      trialId: String(r.id),
      orgId: input.orgId,
      mode: "failed",
      code: input.code,
      reason: input.reason,
    });
    if (e) ended.push(e);
  }
  return ended;
}

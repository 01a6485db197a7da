import { failWaitingTrialsOfStudy, listRunningTrialIdsOfStudy, type SqlDb } from "@autoglm/db/queries";
import { endAttempt, type EndedAttempt } from "./end-attempt.js";

/** The reason trials of a stopped study show (code STUDY_STOPPED). */
export const STUDY_STOP_REASON = "the study was stopped before this trial finished";

/**
 * Ends a study's trials with STUDY_STOPPED: every waiting one, and every running one of
 * `leaseKind` (both kinds when absent) through `endAttempt`. The study was stopped, or
 * `budget.max_failures` was reached. Returns all of them, so the caller tells the agents of
 * the running ones; an agent that misses the message learns it from its next heartbeat.
 */
export async function stopStudyTrials(
  db: SqlDb,
  input: { orgId: string; studyId: string; code: "STUDY_STOPPED"; reason: string; leaseKind?: "ask" | "agent"; at?: Date },
): Promise<EndedAttempt[]> {
  const scope = { orgId: input.orgId };
  const at = input.at ?? null;
  const waiting = await failWaitingTrialsOfStudy(db, scope, {
    studyId: input.studyId,
    code: input.code,
    reason: input.reason,
    at,
  });
  const ended: EndedAttempt[] = waiting.map((w) => ({
    ...w,
    orgId: input.orgId,
    studyId: input.studyId,
    state: "failed",
    value: null,
    values: null,
    constraintValues: null,
    feasible: null,
    agentId: null,
    leaseToken: null,
  }));
  for (const trialId of await listRunningTrialIdsOfStudy(db, scope, {
    studyId: input.studyId,
    leaseKind: input.leaseKind ?? null,
  })) {
    const e = await endAttempt(db, {
      trialId,
      orgId: input.orgId,
      leaseKind: input.leaseKind ?? "any",
      mode: "failed",
      code: input.code,
      reason: input.reason,
      ...(input.at ? { at: input.at } : {}),
    });
    if (e) ended.push(e);
  }
  return ended;
}

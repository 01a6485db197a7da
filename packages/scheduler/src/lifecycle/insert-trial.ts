import { insertNextTrialById, type SqlDb } from "@autoglm/db/queries";

/**
 * THE place a trial is inserted: the run loop's top-up queues one for agents, an ask hands
 * one out leased to its program, an enqueue queues a user's point. Either way the statement takes the study's next number
 * under `budget.max_trials` (null: the study refused: not running, spent, or, with
 * `expectNumber`, another trial took that number meanwhile).
 */
export function insertNextTrial(
  db: SqlDb,
  studyId: string,
  input: {
    params: Record<string, unknown>;
    expectNumber?: number;
    askLease?: { token: string; expiresAt: Date; startedAt: Date };
    /** `trials.proposed_by`: the sampler's name, or `enqueued` (queued ahead of the sampler's waiting trials). */
    proposedBy?: string;
  },
): Promise<{ trialId: string; orgId: string; number: number } | null> {
  return insertNextTrialById(db, studyId, {
    params: input.params,
    expectNumber: input.expectNumber ?? null,
    lease: input.askLease ? { kind: "ask", ...input.askLease } : null,
    proposedBy: input.proposedBy ?? null,
  });
}

import { and, eq, sql } from "drizzle-orm";
import { studies } from "../schema.js";
import type { DbOrTx } from "./scope.js";
import { numberOf, runStatement, type SqlDb } from "./sql-runner.js";
import { withTransaction } from "./tx.js";
import { enqueueWebhookEvent } from "./webhook-outbox.js";

export interface TStudyWithStopWhen {
  studyId: string;
  orgId: string;
  /** budget.stop_when.improvement_below */
  threshold: number;
  complete: number;
}

/**
 * Unscoped: the run loop's background pass over every team.
 * Running studies whose spec has `budget.stop_when`, with their count of complete trials.
 */
export async function listStudiesWithStopWhen(db: SqlDb): Promise<TStudyWithStopWhen[]> {
  const rows = await runStatement<Record<string, unknown>>(
    db,
    "studies_with_stop_when",
    sql`
SELECT s.id, s.org_id, (s.spec #>> '{budget,stop_when,improvement_below}')::float8 AS threshold,
  (SELECT count(*) FROM trials t WHERE t.study_id = s.id AND t.state = 'complete') AS complete
FROM studies s
WHERE s.state = 'running' AND s.spec #> '{budget,stop_when,improvement_below}' IS NOT NULL`,
  );
  return rows.map((r) => ({
    studyId: String(r.id),
    orgId: String(r.org_id),
    threshold: numberOf(r.threshold),
    complete: numberOf(r.complete),
  }));
}

/**
 * Unscoped: keyed by a study the run loop found done by its own rule.
 * Completes a running study with the reason shown on its page, and queues `study.completed` for
 * the team's webhooks in the same transaction. Null when the study was no longer running.
 */
export async function completeStudyWithReasonById(
  db: DbOrTx,
  input: { studyId: string; reason: string },
): Promise<{ studyId: string; orgId: string } | null> {
  return withTransaction(db, async (tx) => {
    const [row] = await tx
      .update(studies)
      .set({ state: "completed", stopReason: input.reason, stoppedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(studies.id, input.studyId), eq(studies.state, "running")))
      .returning();
    if (!row) return null;
    await enqueueWebhookEvent(tx, {
      orgId: row.orgId,
      event: "study.completed",
      data: {
        study: {
          id: row.id,
          name: row.name,
          project_id: row.projectId,
          state: row.state,
          stopped_at: row.stoppedAt?.toISOString() ?? null,
          trials: row.nextTrialNumber,
          best_value: row.bestValue,
          best_trial_id: row.bestTrialId,
        },
        reason: input.reason,
      },
    });
    return { studyId: row.id, orgId: row.orgId };
  });
}

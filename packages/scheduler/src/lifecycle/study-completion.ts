import {
  finishSpentStudies as finishSpentStudiesInDb,
  finishSpentStudyById,
  type SqlDb,
  type TFinishedStudy,
} from "@autoglm/db/queries";
import type { EndedAttempt } from "./end-attempt.js";
import { stopStudyTrials } from "./stop-study-trials.js";

export interface TStudyFinish {
  finished: TFinishedStudy;
  /** The trials a failed study ended (its agents are to be told). */
  ended: EndedAttempt[];
}

function maxFailuresReason(f: TFinishedStudy): string {
  return `budget.max_failures (${f.maxFailures}) reached`;
}

async function stopFailedStudy(db: SqlDb, f: TFinishedStudy, at: Date | undefined): Promise<TStudyFinish> {
  if (f.state !== "failed") return { finished: f, ended: [] };
  const ended = await stopStudyTrials(db, {
    orgId: f.orgId,
    studyId: f.studyId,
    code: "STUDY_STOPPED",
    reason: maxFailuresReason(f),
    ...(at ? { at } : {}),
  });
  return { finished: f, ended };
}

/**
 * THE place a study completes or fails on its budget (the rule is one SQL fragment in
 * @autoglm/db): after a trial of it ended (tell, stop, the ask sweeper). A study that reached
 * `budget.max_failures` has its remaining trials stopped. Null when the study goes on; a
 * study finishes exactly once however many trials end together.
 */
export async function finishSpentStudy(db: SqlDb, studyId: string, at?: Date): Promise<TStudyFinish | null> {
  const f = await finishSpentStudyById(db, studyId, at ?? null);
  return f ? stopFailedStudy(db, f, at) : null;
}

/** The same for every running study: the run loop's tick (agent completions do not check their study). */
export async function finishSpentStudies(db: SqlDb): Promise<TStudyFinish[]> {
  const out: TStudyFinish[] = [];
  for (const f of await finishSpentStudiesInDb(db)) out.push(await stopFailedStudy(db, f, undefined));
  return out;
}

export function describeFinish(f: TFinishedStudy): string {
  return f.state === "failed" ? maxFailuresReason(f) : "budget.max_trials reached";
}

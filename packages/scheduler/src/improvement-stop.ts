import type { DbHandle } from "@autoglm/db/client";
import { completeStudyWithReasonById, getStudy, listLatestCompleteTrials, listStudiesWithStopWhen } from "@autoglm/db/queries";
import { IMPROVEMENT_MAX_TRIALS, IMPROVEMENT_MIN_TRIALS, type TParams } from "@autoglm/optimizer";
import { silentLogger, studySpecOf, type Logger } from "@autoglm/protocol";
import type { EndedAttempt } from "./lifecycle/end-attempt.js";
import { stopStudyTrials } from "./lifecycle/stop-study-trials.js";
import { optimizerConfigOf } from "./optimizer-config.js";
import { sharedOptimizerPool } from "./optimizer-pool.js";

export interface TImprovementStop {
  studyId: string;
  orgId: string;
  reason: string;
  /** The trials still in flight, stopped (their agents are to be told). */
  ended: EndedAttempt[];
}

function formatBound(v: number): string {
  return Number(v.toPrecision(3)).toString();
}

/**
 * `budget.stop_when: {improvement_below}`: after each new complete trial of such a study, the
 * improvement-left estimate (optimizer improvement.ts, one GP fit in the optimizer pool, on the
 * latest IMPROVEMENT_MAX_TRIALS complete trials) is
 * compared with the threshold, and the study completes with the reason once it is below.
 * Checked once per new complete trial (a count this process remembers), never on the event loop.
 */
export class ImprovementStop {
  private readonly checked = new Map<string, number>();
  private readonly logger: Logger;
  private readonly timeoutMs: number | undefined;

  constructor(
    private readonly db: DbHandle,
    opts: { logger?: Logger; timeoutMs?: number } = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs;
  }

  async check(): Promise<TImprovementStop[]> {
    const out: TImprovementStop[] = [];
    const watched = await listStudiesWithStopWhen(this.db);
    const live = new Set(watched.map((w) => w.studyId));
    for (const id of this.checked.keys()) if (!live.has(id)) this.checked.delete(id);
    for (const w of watched) {
      if (w.complete < IMPROVEMENT_MIN_TRIALS || this.checked.get(w.studyId) === w.complete) continue;
      this.checked.set(w.studyId, w.complete);
      const bound = await this.boundOf(w.orgId, w.studyId);
      if (bound === null || bound >= w.threshold) continue;
      const reason = `budget.stop_when: the improvement left (${formatBound(bound)}) fell below ${formatBound(w.threshold)} after ${w.complete} complete trials`;
      const done = await completeStudyWithReasonById(this.db.db, { studyId: w.studyId, reason });
      if (!done) continue;
      const ended = await stopStudyTrials(this.db, { orgId: w.orgId, studyId: w.studyId, code: "STUDY_STOPPED", reason });
      this.logger.info("study stopped itself", { studyId: w.studyId, reason });
      out.push({ studyId: w.studyId, orgId: w.orgId, reason, ended });
    }
    return out;
  }

  private async boundOf(orgId: string, studyId: string): Promise<number | null> {
    const scope = { orgId };
    const study = await getStudy(this.db.db, scope, studyId);
    if (!study) return null;
    // The page's "Improvement left" card rests on the same latest trials, so the study stops on the
    // value a person sees there; and a check reads a few hundred rows whatever the study's size.
    // The regret bound is about the best feasible value: infeasible trials are left out.
    const { rows } = await listLatestCompleteTrials(this.db.db, scope, studyId, {
      limit: IMPROVEMENT_MAX_TRIALS,
      feasibleOnly: true,
    });
    const points = await sharedOptimizerPool().run(
      { kind: "improvement", config: optimizerConfigOf(studySpecOf(study.spec)), lastOnly: true },
      rows.map((trial) => ({
        id: trial.number,
        params: trial.params as TParams,
        state: "complete" as const,
        value: trial.value,
      })),
      { timeoutMs: this.timeoutMs },
    );
    return points[0]?.bound ?? null;
  }
}

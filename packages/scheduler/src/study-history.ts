import { listCurvesByTrialIds, listAllCurvesByStudyId, listTrialStampsByStudyId } from "@autoglm/db/queries";
import type { DbOrTx } from "@autoglm/db/queries";
import type { THistoryRow } from "./ask-optimizer.js";

type TCurve = Array<[number, number]>;
type TStampRow = Awaited<ReturnType<typeof listTrialStampsByStudyId>>[number];

const FINISHED = new Set(["complete", "pruned", "failed"]);

/** Changes whenever the trial's curve may have: every write of its values also writes its row. */
function stampOf(t: TStampRow): string {
  return `${t.state}|${t.attempt}|${t.lastStep}|${t.value}|${t.updatedAt.getTime()}`;
}

/**
 * A study's history (every trial with its curve) for rebuilding its optimizer, read from the
 * database in the caller's transaction, without re-reading the curves of finished trials.
 * A finished trial takes no more values (reports and metric batches require it running), and
 * its row changes with any write that could change its curve (a retry, a late batch), so a
 * finished curve read once stays right while its row's stamp is unchanged. Each load reads
 * the study's trial rows (one row per trial) and the curves of the running trials and of the
 * trials that finished since the last load: with 300 finished trials of 100 values, about 100
 * values instead of 30,000. Bounded by the number of values held, least recently used study
 * first.
 */
export class StudyHistoryCache {
  private readonly studies = new Map<string, { curves: Map<string, { stamp: string; curve: TCurve }>; values: number }>();
  private held = 0;

  constructor(private readonly maxValues = 1_000_000) {}

  async load(db: DbOrTx, studyId: string): Promise<THistoryRow[]> {
    const rows = await listTrialStampsByStudyId(db, studyId);
    const known = this.studies.get(studyId);
    const stamps = rows.map(stampOf);
    const missing = rows.filter((t, i) => known?.curves.get(t.id)?.stamp !== stamps[i]).map((t) => t.id);
    // Most trials missing (a first load): one read of the study beats a list of ids.
    const read =
      missing.length > 64 && missing.length > rows.length / 2
        ? await listAllCurvesByStudyId(db, studyId)
        : await listCurvesByTrialIds(db, missing);
    const curves = new Map<string, { stamp: string; curve: TCurve }>();
    let values = 0;
    const out: THistoryRow[] = rows.map((t, i) => {
      const hit = known?.curves.get(t.id);
      const curve = hit && hit.stamp === stamps[i] ? hit.curve : (read.get(t.id) ?? []);
      if (FINISHED.has(t.state)) {
        curves.set(t.id, { stamp: stamps[i]!, curve });
        values += curve.length;
      }
      // A copy: the caller may edit its trial's curve (a replayed step) without touching ours.
      return {
        trial: {
          number: t.number,
          state: t.state,
          params: t.params,
          value: t.value,
          values: t.values,
          constraintValues: t.constraintValues,
          proposedBy: t.proposedBy,
        },
        intermediate: curve.slice(),
      };
    });
    this.remember(studyId, { curves, values });
    return out;
  }

  /** Values held across studies (the bound's measure). */
  heldValues(): number {
    return this.held;
  }

  /** Forgets a study (deleted, or a test resetting the database). */
  forget(studyId: string): void {
    const e = this.studies.get(studyId);
    if (!e) return;
    this.held -= e.values;
    this.studies.delete(studyId);
  }

  private remember(studyId: string, entry: { curves: Map<string, { stamp: string; curve: TCurve }>; values: number }): void {
    this.forget(studyId);
    if (entry.values > this.maxValues) return;
    // Map order is insertion order: re-inserting makes this study the most recently used.
    this.studies.set(studyId, entry);
    this.held += entry.values;
    for (const [id] of this.studies) {
      if (this.held <= this.maxValues) break;
      this.forget(id);
    }
  }
}

/** One per process: the API's ask/tell calls share it. */
export const studyHistories = new StudyHistoryCache();

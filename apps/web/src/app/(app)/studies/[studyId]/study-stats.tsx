"use client";
import Link from "next/link";
import { formatValue } from "@/lib/format";
import type { StudySpecView, TStudy } from "./study-view";

/** The row of figures under the header: best value, trials against the budget, and the count per state. */
export function StudyStats({ studyId, study: s, spec }: { studyId: string; study: TStudy; spec: StudySpecView }) {
  const total = s.counts.waiting + s.counts.running + s.counts.complete + s.counts.pruned + s.counts.failed;
  return (
    <div className="stats">
      <div className="stat">
        <div className="label">
          Best {spec.objective?.metric}
          {/* A multi-objective study's best is its Pareto set (the header and the Pareto card); this is one objective's. */}
          {(spec.objectives?.length ?? 0) > 1 ? ` (1st of ${spec.objectives!.length} objectives)` : null}
        </div>
        <div className="value" data-testid="best-value">
          {s.best ? formatValue(s.best.value) : "—"}
        </div>
        <div className="hint">
          {s.best ? (
            <Link href={`/studies/${studyId}/trials/${s.best.trialId}`}>trial #{s.best.number}</Link>
          ) : (
            "no finished trial yet"
          )}
        </div>
      </div>
      <div className="stat">
        <div className="label">Trials</div>
        <div className="value" data-testid="trial-count">
          {total}
          {spec.budget?.max_trials ? (
            <span className="faint" style={{ fontSize: 14 }}>
              {" "}
              / {spec.budget.max_trials}
            </span>
          ) : null}
        </div>
        <div className="hint">max {spec.budget?.max_parallel ?? "—"} in parallel</div>
      </div>
      <div className="stat">
        <div className="label">Complete</div>
        <div className="value" data-testid="complete-count">
          {s.counts.complete}
        </div>
      </div>
      <div className="stat">
        <div className="label">Running</div>
        <div className="value">{s.counts.running + s.counts.waiting}</div>
        <div className="hint">{s.counts.waiting} waiting</div>
      </div>
      <div className="stat">
        <div className="label">Pruned / failed</div>
        <div className="value">
          {s.counts.pruned} / {s.counts.failed}
        </div>
      </div>
    </div>
  );
}

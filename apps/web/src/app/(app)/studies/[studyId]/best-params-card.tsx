"use client";
import { formatParam, formatValue } from "@/lib/format";
import type { ObjectiveView } from "@/lib/plot-objectives";
import type { TStudy } from "./study-view";

type TBest = NonNullable<TStudy["best"]>;
type TParetoTrial = NonNullable<TBest["pareto"]>[number];

/** A Pareto trial as the select lists it: its number and each objective's value. */
function paretoLabel(p: TParetoTrial, objectives: readonly ObjectiveView[]): string {
  return `#${p.number} · ${objectives.map((o, i) => `${o.metric} ${formatValue(p.values[i])}`).join(" · ")}`;
}

interface BestParamsCardProps {
  best: TBest;
  objectives: ObjectiveView[];
  /** The Pareto trial shown (multi-objective studies): the page's, so "Register best" registers the same one. */
  chosen: TParetoTrial | null;
  onChoose: (trialId: string) => void;
}

/**
 * The best trial's parameters, one chip each. A multi-objective study has no one best: the card
 * offers its Pareto set, each trial with its values, and shows the chosen one's parameters.
 */
export function BestParamsCard({ best, objectives, chosen, onChoose }: BestParamsCardProps) {
  const pareto = best.pareto;
  const shown = pareto && chosen ? chosen : best;
  return (
    <div className="card" style={{ marginBottom: 16 }}>
      <div className="card-head">
        <h2>{pareto ? "Pareto trials" : "Best parameters"}</h2>
        {pareto && chosen ? (
          <select
            aria-label="Pareto trial"
            value={chosen.trialId}
            onChange={(e) => onChoose(e.target.value)}
            data-testid="pareto-trial-select"
          >
            {pareto.map((p) => (
              <option key={p.trialId} value={p.trialId}>
                {paretoLabel(p, objectives)}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted">trial #{best.number}</span>
        )}
      </div>
      <div className="card-body" data-testid="best-params" data-trial-number={shown.number}>
        {Object.entries(shown.params as Record<string, unknown>).map(([k, v]) => (
          <span key={k} className="chip">
            {k}={formatParam(v)}
          </span>
        ))}
      </div>
    </div>
  );
}

"use client";
import { formatParam } from "@/lib/format";
import type { TStudy } from "./study-view";

/** The best trial's parameters, one chip each. */
export function BestParamsCard({ best }: { best: NonNullable<TStudy["best"]> }) {
  return (
    <div className="card" style={{ marginBottom: 16 }}>
      <div className="card-head">
        <h2>Best parameters</h2>
        <span className="muted">trial #{best.number}</span>
      </div>
      <div className="card-body" data-testid="best-params">
        {Object.entries(best.params as Record<string, unknown>).map(([k, v]) => (
          <span key={k} className="chip">
            {k}={formatParam(v)}
          </span>
        ))}
      </div>
    </div>
  );
}

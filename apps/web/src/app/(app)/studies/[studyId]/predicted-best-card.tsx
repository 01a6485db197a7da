"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { ErrorNote } from "@/components/ui";
import { formatParam, formatValue } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

interface PredictedBestCardProps {
  studyId: string;
  /** The trial with the best observed value (the study's best), to say where it differs. */
  lowest: { number: number; value: number } | null;
}

/**
 * A noisy study's best (`sampler: {noise: true}`). Its best observed value is partly a lucky draw:
 * of the five best, the trial a GP with a fitted noise term predicts best is what to expect when
 * it is run again. Shown with its prediction, its observed value and the noise the model found.
 */
export function PredictedBestCard({ studyId, lowest }: PredictedBestCardProps) {
  const trpc = useTRPC();
  const q = useQuery(trpc.study.bestPredicted.queryOptions({ studyId }));
  const p = q.data;
  return (
    <div className="card" style={{ marginBottom: 16 }} data-testid="predicted-best">
      <div className="card-head">
        <h2>Best predicted</h2>
        <span className="muted">noisy objective</span>
      </div>
      <div className="card-body">
        {q.isPending ? (
          <span className="muted">Fitting the noise model…</span>
        ) : q.error ? (
          <ErrorNote error={q.error} />
        ) : !p ? (
          <span className="muted" data-testid="predicted-best-waiting">
            The noise model predicts from 10 complete trials: it names the best one once they are in.
          </span>
        ) : (
          <>
            <p style={{ marginTop: 0 }} data-testid="predicted-best-summary" data-trial-number={p.number}>
              <Link href={`/studies/${studyId}/trials/${p.trialId}`} data-testid="predicted-best-link">
                trial #{p.number}
              </Link>
              : predicted {formatValue(p.predicted)}, observed {formatValue(p.value)}, noise sd ≈ {formatValue(p.noiseSd)}.
              {lowest && lowest.number !== p.number
                ? ` The best observed value, trial #${lowest.number} at ${formatValue(lowest.value)}, is partly a lucky draw.`
                : ""}
            </p>
            {Object.entries(p.params).map(([k, v]) => (
              <span key={k} className="chip">
                {k}={formatParam(v)}
              </span>
            ))}
          </>
        )}
      </div>
    </div>
  );
}

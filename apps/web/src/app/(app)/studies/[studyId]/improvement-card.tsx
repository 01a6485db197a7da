"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { formatValue } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const ImprovementChart = dynamic(() => import("@/components/improvement-chart").then((m) => m.ImprovementChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/**
 * "Improvement left": how much the best value could still improve if the study goes on (a GP
 * regret bound over the complete trials, as Optuna's Terminator estimates it), and the study's
 * `budget.stop_when` threshold when it has one.
 */
export function ImprovementCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.study.improvement.queryOptions({ studyId }));
  const points = q.data?.points ?? [];
  const last = points.at(-1);
  return (
    <div className="card">
      <div className="card-head">
        <h2>Improvement left</h2>
        {last ? (
          <span className="muted" data-testid="improvement-now">
            now {formatValue(last.bound)}
            {q.data?.threshold != null ? ` · stops below ${formatValue(q.data.threshold)}` : ""}
          </span>
        ) : null}
      </div>
      <div className="chart" data-testid="improvement-chart" data-points={points.length}>
        {q.isPending ? (
          <Loading />
        ) : q.error ? (
          <div className="card-body">
            <ErrorNote error={q.error} />
          </div>
        ) : points.length === 0 ? (
          <Empty title="Not enough complete trials yet">
            The estimate needs {q.data.minTrials} complete trials ({q.data.basedOn} so far): an upper bound, from a model of the
            objective, on how much the best value could still improve.
          </Empty>
        ) : (
          <ImprovementChart points={points} threshold={q.data.threshold} />
        )}
      </div>
      {q.data && points.length > 0 && q.data.basedOn < q.data.total ? (
        <div className="card-body faint" style={{ fontSize: 12 }} data-testid="improvement-window">
          Estimated from the latest {q.data.basedOn.toLocaleString("en")} of {q.data.total.toLocaleString("en")} complete trials.
        </div>
      ) : null}
    </div>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { formatValue } from "@/lib/format";
import type { ObjectiveView } from "@/lib/plot-objectives";
import { useTRPC } from "@/lib/trpc";

const HypervolumeChart = dynamic(() => import("@/components/hypervolume-chart").then((m) => m.HypervolumeChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/**
 * A multi-objective study's hypervolume history: the volume of objective space its complete
 * feasible trials dominate, up to a reference point (the API's default: each objective's worst
 * value plus 10% of its range), as trials arrived. It only grows; a flat stretch is no progress.
 */
export function HypervolumeCard({ studyId, objectives }: { studyId: string; objectives: ObjectiveView[] }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.study.hypervolume.queryOptions({ studyId }));
  const points = q.data?.points ?? [];
  const reference = q.data?.reference;
  return (
    <div className="card">
      <div className="card-head">
        <h2>Hypervolume history</h2>
        {points.length ? (
          <span className="muted" data-testid="hypervolume-now">
            now {formatValue(points.at(-1)!.hypervolume)}
          </span>
        ) : null}
      </div>
      <div className="chart" data-testid="hypervolume-chart" data-points={points.length}>
        {q.isPending ? (
          <Loading />
        ) : q.error ? (
          <div className="card-body">
            <ErrorNote error={q.error} />
          </div>
        ) : points.length === 0 ? (
          <Empty title="No complete feasible trials yet">
            The volume of objective space the trials dominate appears here as they are told.
          </Empty>
        ) : (
          <HypervolumeChart points={points} />
        )}
      </div>
      {reference ? (
        <div className="card-body faint" style={{ fontSize: 12 }} data-testid="hypervolume-reference">
          Reference point: {objectives.map((o, i) => `${o.metric} ${formatValue(reference[i])}`).join(", ")} (each
          objective&apos;s worst value plus 10% of its range), over {q.data?.basedOn ?? 0} complete feasible trials.
        </div>
      ) : null}
    </div>
  );
}

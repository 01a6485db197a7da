"use client";
import dynamic from "next/dynamic";
import { Empty, Loading } from "@/components/ui";
import { objectiveSeries, type TModelVersion } from "@/lib/model-view";

const VersionObjectiveChart = dynamic(() => import("@/components/version-objective-chart").then((m) => m.VersionObjectiveChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** The objective metric by version: does each new version beat the last? */
export function ObjectiveCard({ versions }: { versions: TModelVersion[] }) {
  const series = objectiveSeries(versions);
  return (
    <div className="card" data-testid="objective-card" data-points={series?.points.length ?? 0}>
      <div className="card-head">
        <h2>Objective by version</h2>
        {series ? (
          <span className="muted">
            {series.direction} <span className="mono">{series.metric}</span>
          </span>
        ) : null}
      </div>
      <div className="chart chart-small">
        {!series || series.points.length === 0 ? (
          <Empty title="No objective values">Versions show here once their trials report the study&apos;s objective.</Empty>
        ) : (
          <VersionObjectiveChart metric={series.metric} points={series.points} />
        )}
      </div>
    </div>
  );
}

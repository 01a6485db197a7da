"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { STATE_COLORS } from "@/lib/state-colors";
import { useTRPC } from "@/lib/trpc";
import { useOpenTrial } from "./use-open-trial";

const CurvesChart = dynamic(() => import("@/components/curves-chart").then((m) => m.CurvesChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** Intermediate values of the latest trials, one line each, coloured by state; a click opens the trial. */
export function CurvesCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const curves = useQuery(trpc.study.curves.queryOptions({ studyId }));
  const open = useOpenTrial(studyId);
  const n = curves.data?.curves.length ?? 0;
  return (
    <div className="card">
      <div className="card-head">
        <h2>Learning curves</h2>
        <span className="muted" style={{ fontSize: 12 }}>
          {Object.entries(STATE_COLORS).map(([state, color]) => (
            <span key={state} style={{ marginLeft: 10 }}>
              <span
                style={{
                  display: "inline-block",
                  width: 10,
                  height: 3,
                  background: color,
                  verticalAlign: "middle",
                  marginRight: 4,
                }}
              />
              {state}
            </span>
          ))}
        </span>
      </div>
      <div className="chart" data-testid="curves-chart" data-trials={n}>
        {curves.isPending ? (
          <Loading />
        ) : curves.error ? (
          <div className="card-body">
            <ErrorNote error={curves.error} />
          </div>
        ) : n === 0 ? (
          <Empty title="No intermediate values yet">
            Trials that report per step (epochs, iterations) draw their curve here, pruned ones in amber.
          </Empty>
        ) : (
          <CurvesChart curves={curves.data.curves} onPick={open} />
        )}
      </div>
      {curves.data?.truncated ? (
        <div className="card-body faint" style={{ fontSize: 12 }} data-testid="curves-thinned">
          The latest {n} trials that reported are shown, each thinned to at most 100 of its reports.
        </div>
      ) : null}
    </div>
  );
}

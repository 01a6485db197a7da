"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

const PortfolioChart = dynamic(() => import("@/components/portfolio-chart").then((m) => m.PortfolioChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/**
 * The `auto` sampler's portfolio: which of its members (GP, TPE, CMA-ES, random, plugins) it
 * gives the next asks to, as the study went on. The trial table says which one proposed each trial.
 */
export function PortfolioCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.study.portfolio.queryOptions({ studyId }));
  const points = q.data?.points ?? [];
  const last = points.at(-1);
  const leader = last ? Object.entries(last.weights).sort((a, b) => b[1] - a[1])[0] : undefined;
  return (
    <div className="card">
      <div className="card-head">
        <h2>Sampler portfolio</h2>
        {leader ? (
          <span className="muted" data-testid="portfolio-leader">
            now {leader[0]} {Math.round(leader[1] * 100)}%
          </span>
        ) : null}
      </div>
      <div className="chart" data-testid="portfolio-chart" data-points={points.length}>
        {q.isPending ? (
          <Loading />
        ) : q.error ? (
          <div className="card-body">
            <ErrorNote error={q.error} />
          </div>
        ) : points.length === 0 ? (
          <Empty title="No portfolio weights yet">
            The auto sampler follows its schedule (GP and TPE taking turns) for the first trials, then gives more asks to the
            member whose trials rank best.
          </Empty>
        ) : (
          <PortfolioChart members={q.data.members} points={points} />
        )}
      </div>
    </div>
  );
}

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
          <PortfolioChart members={q.data.members} points={points} handoverAt={q.data.handover?.trial ?? null} />
        )}
      </div>
      {q.data?.handover ? (
        <div className="card-body muted" data-testid="portfolio-handover" data-reason={q.data.handover.reason}>
          {handoverText(q.data.handover)}
        </div>
      ) : null}
    </div>
  );
}

/** Why the study moved from its model phase to CMA-ES, in words. */
function handoverText(h: { trial: number; reason: "rugged" | "stalled" | "limit"; noiseShare: number | null }): string {
  const since = `CMA-ES leads since trial ${h.trial}`;
  if (h.reason === "rugged") {
    const share = h.noiseShare === null ? "" : ` (the GP could not follow ${Math.round(h.noiseShare * 100)}% of their variance)`;
    return `${since}: the first ${h.trial} trials showed a rugged landscape${share}, where CMA-ES searches better than the GP.`;
  }
  if (h.reason === "stalled") return `${since}: the GP phase had stopped improving the best value.`;
  return `${since}: the GP phase's limit of ${h.trial} trials, past which CMA-ES keeps each ask cheap.`;
}

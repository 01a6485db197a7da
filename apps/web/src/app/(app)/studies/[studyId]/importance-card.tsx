"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

const ImportanceChart = dynamic(() => import("@/components/importance-chart").then((m) => m.ImportanceChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** Which parameters the objective depends on (fANOVA on a random forest over complete trials). */
export function ImportanceCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const imp = useQuery(trpc.study.importance.queryOptions({ studyId }));
  const params = imp.data?.params ?? [];
  return (
    <div className="card">
      <div className="card-head">
        <h2>Parameter importance</h2>
        {imp.data && params.length ? <span className="muted">from {imp.data.basedOn} complete trials</span> : null}
      </div>
      <div className="chart" data-testid="importance-chart" data-params={params.map((p) => p.name).join(",")}>
        {imp.isPending ? (
          <Loading />
        ) : imp.error ? (
          <div className="card-body">
            <ErrorNote error={imp.error} />
          </div>
        ) : params.length === 0 ? (
          <Empty title="Not enough complete trials yet">
            Importance needs {imp.data.minTrials} complete trials ({imp.data.basedOn} so far): each parameter's share of how much
            the objective varies.
          </Empty>
        ) : (
          <ImportanceChart params={params} />
        )}
      </div>
    </div>
  );
}

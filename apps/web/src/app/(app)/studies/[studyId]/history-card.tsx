"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

const HistoryChart = dynamic(() => import("@/components/history-chart").then((m) => m.HistoryChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

/** The history card's query, called by the page so that it starts alongside the study's instead of after it. */
export function useStudyHistory(studyId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.study.history.queryOptions({ studyId }));
}

interface HistoryCardProps {
  studyId: string;
  history: ReturnType<typeof useStudyHistory>;
  direction: string;
}

/** Each finished trial's objective and the best so far, with a log scale when every value is positive. */
export function HistoryCard({ studyId, history, direction }: HistoryCardProps) {
  const [log, setLog] = useState(false);
  const canLog = useMemo(
    () =>
      (history.data ?? []).some((p) => p.value !== null) && (history.data ?? []).every((p) => p.value === null || p.value > 0),
    [history.data],
  );
  return (
    <div className="card" style={{ marginBottom: 16 }}>
      <div className="card-head">
        <h2>Optimization history</h2>
        <label className="checkbox" style={{ margin: 0 }} title={canLog ? "" : "Log scale needs all values > 0"}>
          <input
            type="checkbox"
            checked={log && canLog}
            disabled={!canLog}
            onChange={(e) => setLog(e.target.checked)}
            data-testid="log-scale"
          />{" "}
          log scale
        </label>
      </div>
      <div className="chart" data-testid="history-chart" data-points={history.data?.filter((p) => p.value !== null).length ?? 0}>
        {history.isPending ? (
          <Loading />
        ) : history.error ? (
          <div className="card-body">
            <ErrorNote error={history.error} />
          </div>
        ) : history.data.filter((p) => p.value !== null).length === 0 ? (
          <Empty title="No finished trials yet">
            Trials appear here as they are told. Run <code>autoglm trial ask {studyId.slice(0, 8)}…</code> or an agent.
          </Empty>
        ) : (
          <HistoryChart points={history.data} log={log && canLog} direction={direction} />
        )}
      </div>
    </div>
  );
}

"use client";
import { useQueries, useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useParams, useSearchParams } from "next/navigation";
import { Suspense, useMemo } from "react";
import type { CompareSeries } from "@/components/compare-history-chart";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import {
  bestParamRows,
  bestSoFarSteps,
  comparedIds,
  objectiveMismatch,
  STUDY_COLORS,
  type ComparedStudy,
} from "@/lib/compare-studies";
import { formatParam, formatValue } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const CompareHistoryChart = dynamic(() => import("@/components/compare-history-chart").then((m) => m.CompareHistoryChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

export default function ComparePage() {
  // useSearchParams needs a Suspense boundary for the page to build (it is known only in the browser).
  return (
    <Suspense fallback={<Loading />}>
      <CompareView />
    </Suspense>
  );
}

/** Two or more studies of a project: their best-so-far histories on one chart and their best params side by side. */
function CompareView() {
  const { projectId } = useParams<{ projectId: string }>();
  const ids = comparedIds(useSearchParams().get("studies"));
  const trpc = useTRPC();
  const project = useQuery(trpc.project.get.queryOptions({ projectId }));
  const listed = useQuery(trpc.study.list.queryOptions({ projectId }));
  const gets = useQueries({ queries: ids.map((studyId) => trpc.study.get.queryOptions({ studyId })) });
  const histories = useQueries({ queries: ids.map((studyId) => trpc.study.history.queryOptions({ studyId })) });

  const studies: ComparedStudy[] = useMemo(
    () =>
      ids.flatMap((id, i) => {
        const row = listed.data?.find((s) => s.id === id);
        const got = gets[i]?.data;
        if (!row || !got) return [];
        return [{ id, name: row.name, metric: row.metric, direction: row.direction, bestParams: got.best?.params ?? null }];
      }),
    [ids, listed.data, gets],
  );
  const series: CompareSeries[] = useMemo(
    () =>
      studies.map((s) => {
        const i = ids.indexOf(s.id);
        return {
          id: s.id,
          name: s.name,
          color: STUDY_COLORS[i % STUDY_COLORS.length]!,
          points: bestSoFarSteps(histories[i]?.data?.points ?? []),
        };
      }),
    [studies, ids, histories],
  );

  const error = project.error ?? listed.error ?? gets.find((q) => q.error)?.error ?? histories.find((q) => q.error)?.error;
  if (error) return <ErrorNote error={error} />;
  const [projectRow, listedRows] = [project.data, listed.data];
  if (!projectRow || !listedRows || gets.some((q) => q.isPending)) return <Loading />;
  const missing = ids.filter((id) => !listedRows.some((s) => s.id === id));
  const mismatch = objectiveMismatch(studies);
  const rows = bestParamRows(studies);

  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>{projectRow.name}</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1>Compare studies</h1>
          <div className="sub">{studies.map((s) => s.name).join(" · ")}</div>
        </div>
      </div>
      {ids.length < 2 ? (
        <Empty title="Pick two or more studies">Tick studies in the project&apos;s list, then Compare.</Empty>
      ) : null}
      {missing.length ? (
        <div className="card card-body error-text" style={{ marginBottom: 16 }} data-testid="compare-missing">
          Not in this project (or not yours to see): {missing.join(", ")}
        </div>
      ) : null}
      {mismatch ? (
        <div className="card card-body" style={{ marginBottom: 16, fontSize: 13 }} data-testid="compare-mismatch">
          {mismatch}
        </div>
      ) : null}
      <div className="card" style={{ marginBottom: 16 }}>
        <div className="card-head">
          <h2>Best value so far</h2>
        </div>
        <div className="chart" data-testid="compare-chart">
          {histories.some((q) => q.isPending) ? (
            <Loading />
          ) : series.every((s) => s.points.length === 0) ? (
            <Empty title="No complete trials yet">Each study&apos;s line starts with its first complete trial.</Empty>
          ) : (
            <CompareHistoryChart series={series} />
          )}
        </div>
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Best parameters</h2>
        </div>
        <div className="table-wrap">
          <table data-testid="compare-params">
            <thead>
              <tr>
                <th />
                {studies.map((s, i) => (
                  <th key={s.id} style={{ textTransform: "none" }}>
                    <span style={{ color: STUDY_COLORS[i % STUDY_COLORS.length] }}>■</span>{" "}
                    <Link href={`/studies/${s.id}`}>{s.name}</Link>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td className="muted">objective</td>
                {studies.map((s) => (
                  <td key={s.id}>
                    {s.direction} <span className="mono">{s.metric}</span>
                  </td>
                ))}
              </tr>
              <tr>
                <td className="muted">best value</td>
                {studies.map((s) => (
                  <td key={s.id} className="num" data-testid="compare-best-value">
                    {formatValue(listedRows.find((r) => r.id === s.id)?.bestValue ?? null)}
                  </td>
                ))}
              </tr>
              {rows.map((r) => (
                <tr key={r.name} data-testid="compare-param-row" data-param={r.name} data-differs={r.differs}>
                  <td className="mono">{r.name}</td>
                  {r.values.map((v, i) => (
                    <td
                      key={studies[i]!.id}
                      className={`mono ${r.differs ? "differs" : ""}`}
                      style={r.differs ? { background: "#fff7e6", fontWeight: 600 } : undefined}
                      title={r.differs ? "differs between the studies" : undefined}
                    >
                      {v === undefined ? <span className="faint">—</span> : formatParam(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </>
  );
}

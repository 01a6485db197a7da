"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { StopTrialButton } from "@/components/stop-trial-button";
import { ProposedByBadge } from "@/components/rerun-trial-button";
import { Empty, ErrorNote, SkeletonRows, StateBadge } from "@/components/ui";
import { durationMs, formatDate, formatDuration, formatParam, formatValue } from "@/lib/format";
import { parseParamFilter } from "@/lib/param-filter";
import { brushedTableRows } from "@/lib/plot-data-brush";
import { useTRPC } from "@/lib/trpc";
import type { TrialBrush } from "./use-parallel-coordinates";

type SortBy = "number" | "value" | "state" | "duration";
const TRIAL_STATES = ["", "waiting", "running", "complete", "pruned", "failed"] as const;
const PAGE = 100;
const MAX_PAGE = 500;

/**
 * The study's trials: sortable columns, filters by state and parameter, 100 rows at a time up to
 * 500; a click opens a trial. While the parallel-coordinates plot has a brush, the rows are the
 * brushed trials instead (from the plots' data, filtered and sorted here).
 */
export function TrialTable({
  studyId,
  bestTrialId,
  canStop,
  brush,
}: {
  studyId: string;
  bestTrialId: string | undefined;
  canStop: boolean;
  brush: TrialBrush | null;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [sortBy, setSortBy] = useState<SortBy>("number");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const [state, setState] = useState<(typeof TRIAL_STATES)[number]>("");
  const [paramFilter, setParamFilter] = useState("");

  const [limit, setLimit] = useState(PAGE);
  const serverFilter = useMemo(() => parseParamFilter(paramFilter), [paramFilter]);
  // Growing the page instead of useInfiniteQuery: the router's inputs are strict and the
  // infinite helpers add a `direction` key. 500 rows is the API's page maximum.
  const trials = useQuery({
    ...trpc.trial.list.queryOptions({
      studyId,
      limit,
      sort: { by: sortBy, dir },
      ...(state ? { state } : {}),
      ...(serverFilter ? { paramFilter: serverFilter } : {}),
    }),
    placeholderData: (prev) => prev,
  });

  const rows = useMemo(() => {
    if (brush) {
      const view = { sort: { by: sortBy, dir }, state, paramEquals: serverFilter, paramText: paramFilter };
      return brushedTableRows(brush.matched, view).map((t) => ({ ...t, endCode: null, endReason: null }));
    }
    const all = trials.data?.items ?? [];
    const f = paramFilter.trim().toLowerCase();
    if (!f || serverFilter) return all;
    // Not `name=value` pairs: a substring over the rendered parameters is cheap and useful.
    return all.filter((t) =>
      Object.entries(t.params as Record<string, unknown>).some(([k, v]) => `${k}=${formatParam(v)}`.toLowerCase().includes(f)),
    );
  }, [brush, sortBy, dir, state, trials.data, paramFilter, serverFilter]);

  const paramNames = useMemo(() => {
    const names = new Set<string>();
    for (const t of rows.slice(0, 50)) for (const k of Object.keys(t.params as Record<string, unknown>)) names.add(k);
    return [...names].slice(0, 6);
  }, [rows]);

  function sortHeader(by: SortBy, label: string, numeric = false) {
    const active = sortBy === by;
    return (
      <th
        className={`sortable ${numeric ? "num" : ""}`}
        onClick={() => {
          if (active) setDir(dir === "asc" ? "desc" : "asc");
          else {
            setSortBy(by);
            setDir(by === "number" ? "desc" : "asc");
          }
        }}
        data-testid={`sort-${by}`}
        aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"}
      >
        {label} {active ? (dir === "asc" ? "▲" : "▼") : ""}
      </th>
    );
  }

  return (
    <div className="card">
      <div className="card-head">
        <h2>Trials</h2>
        <div className="toolbar">
          <select
            aria-label="Filter by state"
            value={state}
            onChange={(e) => setState(e.target.value as (typeof TRIAL_STATES)[number])}
            data-testid="trial-state-filter"
          >
            {TRIAL_STATES.map((s) => (
              <option key={s} value={s}>
                {s ? s : "all states"}
              </option>
            ))}
          </select>
          <input
            aria-label="Filter by parameter"
            placeholder="param filter, e.g. act=relu"
            value={paramFilter}
            onChange={(e) => setParamFilter(e.target.value)}
            style={{ width: 220 }}
            data-testid="trial-param-filter"
          />
        </div>
      </div>
      {brush ? (
        <div className="card-body" style={{ fontSize: 13 }} data-testid="brush-note">
          <span data-testid="brush-count">
            {brush.matched.length} of {brush.total} trials match the brush
          </span>{" "}
          —{" "}
          <button type="button" className="btn-sm" onClick={brush.clear} data-testid="brush-clear">
            clear
          </button>
        </div>
      ) : null}
      {trials.isPending && !brush ? (
        <SkeletonRows rows={4} />
      ) : trials.error && !brush ? (
        <div className="card-body">
          <ErrorNote error={trials.error} />
        </div>
      ) : rows.length === 0 ? (
        <Empty title={brush || state || paramFilter ? "No trials match the filter" : "No trials yet"}>
          {brush || state || paramFilter
            ? `Clear the ${brush ? "brush" : "filter"} to see every trial.`
            : "Ask for a trial with a token, or start an agent; trials show up here live."}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="trial-table">
            <thead>
              <tr>
                {sortHeader("number", "#", true)}
                {sortHeader("state", "State")}
                {sortHeader("value", "Value", true)}
                {sortHeader("duration", "Duration", true)}
                <th>Parameters</th>
                <th>Finished</th>
                {canStop ? <th aria-label="Actions" /> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr
                  key={t.id}
                  className={`clickable ${t.id === bestTrialId ? "best" : ""}`}
                  onClick={() => router.push(`/studies/${studyId}/trials/${t.id}`)}
                  data-testid="trial-row"
                  data-trial-number={t.number}
                  data-state={t.state}
                >
                  <td className="num">
                    <Link href={`/studies/${studyId}/trials/${t.id}`} onClick={(e) => e.stopPropagation()}>
                      {t.number}
                    </Link>
                  </td>
                  <td title={t.endReason ?? undefined}>
                    <StateBadge state={t.state} /> <ProposedByBadge proposedBy={"proposedBy" in t ? t.proposedBy : null} />
                    {t.endCode && t.state === "failed" ? (
                      <span className="faint mono" style={{ marginLeft: 6, fontSize: 11 }}>
                        {t.endCode}
                      </span>
                    ) : null}
                  </td>
                  <td className="num" data-testid="trial-value">
                    {formatValue(t.value)}
                  </td>
                  <td className="num" title={String(durationMs(t.startedAt, t.finishedAt) ?? "")}>
                    {formatDuration(t.startedAt, t.finishedAt)}
                  </td>
                  <td className="params" title={JSON.stringify(t.params)}>
                    {paramNames
                      .filter((k) => k in (t.params as Record<string, unknown>))
                      .map((k) => `${k}=${formatParam((t.params as Record<string, unknown>)[k])}`)
                      .join("  ")}
                  </td>
                  <td className="muted">{formatDate(t.finishedAt)}</td>
                  {canStop ? (
                    <td onClick={(e) => e.stopPropagation()} style={{ whiteSpace: "nowrap" }}>
                      {t.state === "running" || t.state === "waiting" ? (
                        <StopTrialButton trialId={t.id} number={t.number} compact />
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          {brush ? null : trials.data?.nextCursor && limit < MAX_PAGE ? (
            <div className="card-body" style={{ textAlign: "center" }}>
              <button onClick={() => setLimit(Math.min(MAX_PAGE, limit + PAGE))} disabled={trials.isFetching}>
                {trials.isFetching ? "Loading…" : "Load more"}
              </button>
            </div>
          ) : trials.data?.nextCursor ? (
            <div className="card-body muted" style={{ textAlign: "center" }}>
              Showing the first {MAX_PAGE} trials in this order; sort or filter to see others.
            </div>
          ) : null}
        </div>
      )}
    </div>
  );
}

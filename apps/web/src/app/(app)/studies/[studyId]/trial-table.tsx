"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { ErrorNote, SkeletonRows } from "@/components/ui";
import { brushedTableRows } from "@/lib/plot-data-brush";
import { parseTrialFilter, trialListFilterInput, type ParsedFilter, type TrialFilter } from "@/lib/trial-filter";
import { useTRPC } from "@/lib/trpc";
import { ColumnChooser, chosenColumns } from "./trial-columns";
import { ExportLinks, Pager } from "./trial-pager";
import { TrialRows, type TableRow } from "./trial-rows";
import type { TrialBrush } from "./use-parallel-coordinates";
import { TRIAL_STATES, useTrialTablePrefs, type TablePrefs } from "./use-trial-table-prefs";

/**
 * The study's trials, a page at a time from the server (sorted and filtered there, with the total
 * that matches) in a virtualized list; filters by state, parameter ranges and values, value range;
 * optional columns for parameters and last-step metrics. Choices are kept per study
 * (use-trial-table-prefs.ts). While the parallel-coordinates plot has a brush, the rows are the
 * brushed trials instead (from the plots' data, filtered and sorted here).
 */
export function TrialTable({
  studyId,
  paramNames,
  bestTrialId,
  canStop,
  brush,
}: {
  studyId: string;
  /** The space's parameters, in spec order: the column chooser's list. */
  paramNames: string[];
  bestTrialId: string | undefined;
  canStop: boolean;
  brush: TrialBrush | null;
}) {
  const trpc = useTRPC();
  const [prefs, setPrefs] = useTrialTablePrefs(studyId);
  const { page, setPage } = usePage(studyId, prefs);
  const parsed = useMemo(() => parseTrialFilter(prefs.filterText), [prefs.filterText]);
  // While the text cannot be read, the last filter that could stays applied (and the error shows).
  const filter = useLastGoodFilter(parsed);

  const trials = useQuery({
    ...trpc.trial.list.queryOptions(trialPageInput(studyId, prefs, page, filter)),
    placeholderData: (prev) => prev,
  });
  const total = trials.data?.total ?? 0;
  const lastPage = Math.max(0, Math.ceil(total / prefs.pageSize) - 1);

  const rows: TableRow[] = useMemo(() => {
    if (!brush) return trials.data?.items ?? [];
    const view = { sort: { by: prefs.sortBy, dir: prefs.dir }, state: prefs.state, filter };
    return brushedTableRows(brush.matched, view).map((t) => ({ ...t, endCode: null, endReason: null, metrics: null }));
  }, [brush, prefs.sortBy, prefs.dir, prefs.state, filter, trials.data]);

  const metricNames = useMemo(() => {
    const names = new Set<string>();
    for (const t of trials.data?.items ?? []) for (const k of Object.keys(t.metrics ?? {})) names.add(k);
    for (const c of prefs.columns ?? []) if (c.startsWith("metric:")) names.add(c.slice("metric:".length));
    return [...names].sort();
  }, [trials.data, prefs.columns]);
  const columns = chosenColumns(prefs.columns, paramNames);
  const filtering = Boolean(brush || prefs.state || filter);

  return (
    <div className="card">
      <div className="card-head">
        <h2>Trials</h2>
        <div className="toolbar" style={{ flexWrap: "wrap" }}>
          <select
            aria-label="Filter by state"
            value={prefs.state}
            onChange={(e) => setPrefs({ state: e.target.value as TablePrefs["state"] })}
            data-testid="trial-state-filter"
          >
            {TRIAL_STATES.map((s) => (
              <option key={s} value={s}>
                {s ? s : "all states"}
              </option>
            ))}
          </select>
          <input
            aria-label="Filter by parameter or value"
            placeholder="lr in [0.001, 0.01], layers = 3, value <= 0.5"
            value={prefs.filterText}
            onChange={(e) => setPrefs({ filterText: e.target.value })}
            style={{ width: 300 }}
            data-testid="trial-param-filter"
          />
          <ColumnChooser
            params={paramNames}
            metrics={metricNames}
            columns={columns}
            onChange={(keys) => setPrefs({ columns: keys })}
          />
          <ExportLinks studyId={studyId} />
        </div>
      </div>
      {parsed.ok ? null : (
        <div className="card-body error-text" style={{ fontSize: 13 }} data-testid="trial-filter-error">
          {parsed.error}
        </div>
      )}
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
      ) : (
        <TrialRows
          studyId={studyId}
          rows={rows}
          columns={columns}
          bestTrialId={bestTrialId}
          canStop={canStop}
          sort={{ by: prefs.sortBy, dir: prefs.dir }}
          onSort={(sortBy, dir) => setPrefs({ sortBy, dir })}
          emptyTitle={filtering ? "No trials match the filter" : "No trials yet"}
          emptyText={
            filtering
              ? `Clear the ${brush ? "brush" : "filter"} to see every trial.`
              : "Ask for a trial with a token, or start an agent; trials show up here live."
          }
        />
      )}
      {brush || trials.isPending ? null : (
        <Pager
          page={Math.min(page, lastPage)}
          lastPage={lastPage}
          total={total}
          shown={trials.data?.items.length ?? 0}
          pageSize={prefs.pageSize}
          isFetching={trials.isFetching}
          onPage={setPage}
          onPageSize={(pageSize) => setPrefs({ pageSize })}
        />
      )}
    </div>
  );
}

/** The page index, back to the first page whenever the sort, filters or page size change. */
/** trial.list's input for one page of the table. */
function trialPageInput(studyId: string, prefs: TablePrefs, page: number, filter: TrialFilter | null) {
  return {
    studyId,
    limit: prefs.pageSize,
    offset: page * prefs.pageSize,
    sort: { by: prefs.sortBy, dir: prefs.dir },
    ...(prefs.state ? { state: prefs.state } : {}),
    ...trialListFilterInput(filter),
  };
}

/**
 * Asks for the table's first page as the page opens, alongside the study's own queries: the
 * table mounts only once the study has loaded, and its own request would start a round trip
 * later (0.3 s of a 10,000-trial load on the dev box). The table's query finds the answer cached
 * (fresh for the client's 5 s staleTime), and nothing here stays subscribed to page 0.
 */
export function usePrefetchFirstTrialPage(studyId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [prefs] = useTrialTablePrefs(studyId);
  useEffect(() => {
    const parsed = parseTrialFilter(prefs.filterText);
    if (!parsed.ok) return;
    void queryClient.prefetchQuery(trpc.trial.list.queryOptions(trialPageInput(studyId, prefs, 0, parsed.filter)));
    // Once per study: the table takes over from there.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [studyId]);
}

function usePage(studyId: string, prefs: TablePrefs) {
  const resetKey = JSON.stringify([studyId, prefs.sortBy, prefs.dir, prefs.state, prefs.filterText, prefs.pageSize]);
  const [state, setState] = useState({ key: resetKey, page: 0 });
  const page = state.key === resetKey ? state.page : 0;
  return { page, setPage: (p: number) => setState({ key: resetKey, page: p }) };
}

/** The filter text's meaning, or while it cannot be read, the last meaning it had. */
function useLastGoodFilter(parsed: ParsedFilter): TrialFilter | null {
  const [lastGood, setLastGood] = useState<TrialFilter | null>(null);
  if (parsed.ok && parsed.filter !== lastGood) setLastGood(parsed.filter);
  return parsed.ok ? parsed.filter : lastGood;
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useParams, useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { StopTrialButton } from "@/components/stop-trial-button";
import { ConfirmButton, Empty, ErrorNote, Loading, SkeletonRows, StateBadge } from "@/components/ui";
import { durationMs, formatDate, formatDuration, formatParam, formatValue } from "@/lib/format";
import { useLiveStudy } from "@/lib/live";
import { parseParamFilter } from "@/lib/param-filter";
import { STATE_COLORS } from "@/lib/state-colors";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

const HistoryChart = dynamic(() => import("@/components/history-chart").then((m) => m.HistoryChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

const CurvesChart = dynamic(() => import("@/components/curves-chart").then((m) => m.CurvesChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});
const ImportanceChart = dynamic(() => import("@/components/importance-chart").then((m) => m.ImportanceChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

type SortBy = "number" | "value" | "state" | "duration";
const TRIAL_STATES = ["", "waiting", "running", "complete", "pruned", "failed"] as const;
const PAGE = 100;
const MAX_PAGE = 500;

export default function StudyPage() {
  const { studyId } = useParams<{ studyId: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { canWrite } = useOrg();
  const [deleted, setDeleted] = useState(false);
  const { connected } = useLiveStudy(studyId, () => setDeleted(true));

  const study = useQuery(trpc.study.get.queryOptions({ studyId }));
  const history = useQuery(trpc.study.history.queryOptions({ studyId }));
  const project = useQuery({
    ...trpc.project.get.queryOptions({ projectId: study.data?.projectId ?? "" }),
    enabled: Boolean(study.data?.projectId),
  });
  const [log, setLog] = useState(false);

  const stop = useMutation(
    trpc.study.stop.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.study.pathFilter()) }),
  );
  const del = useMutation(
    trpc.study.delete.mutationOptions({
      onSuccess: async () => {
        const projectId = study.data?.projectId;
        queryClient.removeQueries(trpc.study.get.queryFilter({ studyId }));
        await queryClient.invalidateQueries(trpc.study.list.pathFilter());
        router.push(projectId ? `/projects/${projectId}` : "/projects");
      },
    }),
  );

  const canLog = useMemo(
    () =>
      (history.data ?? []).some((p) => p.value !== null) && (history.data ?? []).every((p) => p.value === null || p.value > 0),
    [history.data],
  );

  if (deleted && !del.isPending) {
    return (
      <Empty
        title="This study was deleted"
        action={
          <Link href="/projects" className="btn">
            Back to projects
          </Link>
        }
      >
        Someone on your team deleted it while you were looking at it.
      </Empty>
    );
  }
  if (study.isPending) return <Loading />;
  if (study.error) return <ErrorNote error={study.error} />;
  const s = study.data;
  const spec = s.spec as {
    objective?: { metric?: string; direction?: string };
    sampler?: { name?: string; seed?: number };
    budget?: { max_trials?: number; max_parallel?: number };
    run?: { env?: Record<string, string> };
  };
  // run.env values are write-only: the API shows the names, masked; so does the page.
  const envNames = Object.keys(spec.run?.env ?? {});
  const total = s.counts.waiting + s.counts.running + s.counts.complete + s.counts.pruned + s.counts.failed;

  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${s.projectId}`}>{project.data?.name ?? "Project"}</Link>{" "}
        /
      </div>
      <div className="page-head">
        <div>
          <div className="row">
            <h1 data-testid="study-name">{s.name}</h1>
            <StateBadge state={s.state} />
            <span
              className="row muted"
              style={{ fontSize: 12.5, gap: 6 }}
              title={connected ? "Live updates are on" : "Reconnecting…"}
            >
              <span
                className={`live-dot ${connected ? "on" : ""}`}
                data-testid="live-indicator"
                data-connected={connected ? "true" : "false"}
              />{" "}
              {connected ? "live" : "offline"}
            </span>
          </div>
          <div className="sub">
            {spec.objective?.direction} <span className="mono">{spec.objective?.metric}</span> · sampler {spec.sampler?.name}
            {spec.sampler?.seed !== undefined ? ` (seed ${spec.sampler.seed})` : ""} · created {formatDate(s.createdAt)}
            {s.stoppedAt ? ` · stopped ${formatDate(s.stoppedAt)}` : ""}
            {envNames.length ? (
              <span
                title="Environment values are secret: agents receive them, nobody can read them back."
                data-testid="study-env"
              >
                {" · env "}
                <span className="mono">{envNames.join(", ")}</span> (values hidden)
              </span>
            ) : null}
          </div>
        </div>
        {canWrite ? (
          <div className="row">
            {s.state === "running" ? (
              <ConfirmButton
                label="Stop"
                confirmLabel="Stop study"
                question="Running trials will be stopped (agents end their processes) and marked failed."
                onConfirm={() => stop.mutate({ studyId })}
                pending={stop.isPending}
                testId="stop-study"
              />
            ) : null}
            <ConfirmButton
              label="Delete"
              confirmLabel="Delete study"
              question="Delete this study and all its trials?"
              onConfirm={() => del.mutate({ studyId })}
              pending={del.isPending}
              testId="delete-study"
            />
          </div>
        ) : null}
      </div>
      <ErrorNote error={stop.error ?? del.error} />

      <div className="stats">
        <div className="stat">
          <div className="label">Best {spec.objective?.metric}</div>
          <div className="value" data-testid="best-value">
            {s.best ? formatValue(s.best.value) : "—"}
          </div>
          <div className="hint">
            {s.best ? (
              <Link href={`/studies/${studyId}/trials/${s.best.trialId}`}>trial #{s.best.number}</Link>
            ) : (
              "no finished trial yet"
            )}
          </div>
        </div>
        <div className="stat">
          <div className="label">Trials</div>
          <div className="value" data-testid="trial-count">
            {total}
            {spec.budget?.max_trials ? (
              <span className="faint" style={{ fontSize: 14 }}>
                {" "}
                / {spec.budget.max_trials}
              </span>
            ) : null}
          </div>
          <div className="hint">max {spec.budget?.max_parallel ?? "—"} in parallel</div>
        </div>
        <div className="stat">
          <div className="label">Complete</div>
          <div className="value" data-testid="complete-count">
            {s.counts.complete}
          </div>
        </div>
        <div className="stat">
          <div className="label">Running</div>
          <div className="value">{s.counts.running + s.counts.waiting}</div>
          <div className="hint">{s.counts.waiting} waiting</div>
        </div>
        <div className="stat">
          <div className="label">Pruned / failed</div>
          <div className="value">
            {s.counts.pruned} / {s.counts.failed}
          </div>
        </div>
      </div>

      {s.best ? (
        <div className="card" style={{ marginBottom: 16 }}>
          <div className="card-head">
            <h2>Best parameters</h2>
            <span className="muted">trial #{s.best.number}</span>
          </div>
          <div className="card-body" data-testid="best-params">
            {Object.entries(s.best.params as Record<string, unknown>).map(([k, v]) => (
              <span key={k} className="chip">
                {k}={formatParam(v)}
              </span>
            ))}
          </div>
        </div>
      ) : null}

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
        <div
          className="chart"
          data-testid="history-chart"
          data-points={history.data?.filter((p) => p.value !== null).length ?? 0}
        >
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
            <HistoryChart points={history.data} log={log && canLog} direction={spec.objective?.direction ?? ""} />
          )}
        </div>
      </div>

      <div className="grid-2" style={{ marginBottom: 16 }}>
        <CurvesCard studyId={studyId} />
        <ImportanceCard studyId={studyId} />
      </div>

      <TrialTable studyId={studyId} bestTrialId={s.best?.trialId} canStop={canWrite} />
    </>
  );
}

/** Intermediate values of the latest trials, one line each, coloured by state; a click opens the trial. */
function CurvesCard({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const curves = useQuery(trpc.study.curves.queryOptions({ studyId }));
  const open = (trialId: string) => router.push(`/studies/${studyId}/trials/${trialId}`);
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
        <div className="card-body faint" style={{ fontSize: 12 }}>
          The latest {n} trials are shown.
        </div>
      ) : null}
    </div>
  );
}

/** Which parameters the objective depends on (fANOVA on a random forest over complete trials). */
function ImportanceCard({ studyId }: { studyId: string }) {
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

function TrialTable({ studyId, bestTrialId, canStop }: { studyId: string; bestTrialId: string | undefined; canStop: boolean }) {
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
    const all = trials.data?.items ?? [];
    const f = paramFilter.trim().toLowerCase();
    if (!f || serverFilter) return all;
    // Not `name=value` pairs: a substring over the rendered parameters is cheap and useful.
    return all.filter((t) =>
      Object.entries(t.params as Record<string, unknown>).some(([k, v]) => `${k}=${formatParam(v)}`.toLowerCase().includes(f)),
    );
  }, [trials.data, paramFilter, serverFilter]);

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
      {trials.isPending ? (
        <SkeletonRows rows={4} />
      ) : trials.error ? (
        <div className="card-body">
          <ErrorNote error={trials.error} />
        </div>
      ) : rows.length === 0 ? (
        <Empty title={state || paramFilter ? "No trials match the filter" : "No trials yet"}>
          {state || paramFilter
            ? "Clear the filter to see every trial."
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
                    <StateBadge state={t.state} />
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
          {trials.data?.nextCursor && limit < MAX_PAGE ? (
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

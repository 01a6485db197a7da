"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { Empty, ErrorNote, Loading, SkeletonRows, StateBadge } from "@/components/ui";
import { MAX_COMPARED } from "@/lib/compare-studies";
import { formatDate, formatValue } from "@/lib/format";
import { useLiveOrg } from "@/lib/live";
import { nameMatches } from "@autoglm/protocol";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

const STATES = ["", "running", "stopped", "completed", "failed"] as const;

export default function ProjectPage() {
  // useSearchParams (the name filter lives in ?q=) needs a Suspense boundary for the page to build.
  return (
    <Suspense fallback={<Loading />}>
      <ProjectView />
    </Suspense>
  );
}

/** Keeps the filter in the address (replaced, not pushed), so going back from a study finds the list as it was left. */
function useNameFilter(): [string, (q: string) => void] {
  const initial = useSearchParams().get("q") ?? "";
  const [query, setQuery] = useState(initial);
  const update = (q: string) => {
    setQuery(q);
    const url = new URL(window.location.href);
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    window.history.replaceState(window.history.state, "", url);
  };
  return [query, update];
}

function ProjectView() {
  const { projectId } = useParams<{ projectId: string }>();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org, canWrite } = useOrg();
  const [state, setState] = useState<(typeof STATES)[number]>("");
  const [query, setQuery] = useNameFilter();
  // Studies ticked for the compare view, in the order they were ticked.
  const [picked, setPicked] = useState<string[]>([]);
  const project = useQuery(trpc.project.get.queryOptions({ projectId }));
  const studies = useQuery(trpc.study.list.queryOptions({ projectId, ...(state ? { state } : {}) }));
  // Trial counts, best values and states move while agents and ask/tell loops run: the team's
  // doorbell (coalesced) re-reads the list instead of waiting for a focus or a reload.
  useLiveOrg(org.id, () => void queryClient.invalidateQueries(trpc.study.list.pathFilter()));

  const shown = (studies.data ?? []).filter((s) => nameMatches(s.name, query));

  if (project.isPending) return <Loading />;
  if (project.error) return <ErrorNote error={project.error} />;

  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> /
      </div>
      <div className="page-head">
        <div>
          <h1>{project.data.name}</h1>
          <div className="sub">{project.data.description || "Studies in this project."}</div>
        </div>
        {canWrite ? (
          <Link href={`/projects/${projectId}/studies/new`} className="btn btn-primary" data-testid="new-study">
            New study
          </Link>
        ) : null}
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Studies</h2>
          <div className="toolbar">
            {picked.length >= 2 ? (
              <Link
                href={`/projects/${projectId}/compare?studies=${picked.join(",")}`}
                className="btn btn-sm btn-primary"
                data-testid="compare-selected"
              >
                Compare {picked.length} studies
              </Link>
            ) : (
              <span className="muted" style={{ fontSize: 12 }} data-testid="compare-hint">
                Tick two or more studies to compare them
              </span>
            )}
            <input
              type="search"
              aria-label="Filter studies by name"
              placeholder="Filter by name"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              style={{ width: 200 }}
              data-testid="study-name-filter"
            />
            <label htmlFor="state-filter" className="muted" style={{ margin: 0, fontWeight: 400 }}>
              State
            </label>
            <select id="state-filter" value={state} onChange={(e) => setState(e.target.value as (typeof STATES)[number])}>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s || "all"}
                </option>
              ))}
            </select>
          </div>
        </div>
        {studies.isPending ? (
          <SkeletonRows />
        ) : studies.error ? (
          <div className="card-body">
            <ErrorNote error={studies.error} />
          </div>
        ) : studies.data.length === 0 ? (
          <Empty
            title={state ? `No ${state} studies` : "No studies yet"}
            action={
              canWrite && !state ? (
                <Link href={`/projects/${projectId}/studies/new`} className="btn btn-primary">
                  Create a study
                </Link>
              ) : null
            }
          >
            A study searches a space of hyperparameters for the best value of one metric.
          </Empty>
        ) : shown.length === 0 ? (
          <Empty
            title={`No ${state ? `${state} ` : ""}study matches “${query.trim()}”`}
            action={
              <button type="button" className="btn" onClick={() => setQuery("")} data-testid="study-filter-clear">
                Clear the filter
              </button>
            }
          >
            The filter keeps the studies whose name holds every word typed, in any order and case.
          </Empty>
        ) : (
          <div className="table-wrap">
            {shown.length < studies.data.length ? (
              <div className="card-body muted" style={{ fontSize: 12, padding: "6px 16px" }} data-testid="study-filter-count">
                {shown.length} of {studies.data.length} studies
              </div>
            ) : null}
            <table data-testid="study-table">
              <thead>
                <tr>
                  <th aria-label="Compare" />
                  <th>Name</th>
                  <th>State</th>
                  <th>Objective</th>
                  <th>Sampler</th>
                  <th className="num">Trials</th>
                  <th className="num">Best</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((s) => (
                  <tr key={s.id} data-testid="study-row">
                    <td style={{ width: 28 }}>
                      <input
                        type="checkbox"
                        aria-label={`Compare ${s.name}`}
                        checked={picked.includes(s.id)}
                        disabled={!picked.includes(s.id) && picked.length >= MAX_COMPARED}
                        onChange={(e) => setPicked(e.target.checked ? [...picked, s.id] : picked.filter((id) => id !== s.id))}
                        data-testid="compare-check"
                      />
                    </td>
                    <td>
                      <Link href={`/studies/${s.id}`}>{s.name}</Link>
                    </td>
                    <td>
                      <StateBadge state={s.state} />
                    </td>
                    <td>
                      {s.direction} <span className="mono">{s.metric}</span>
                    </td>
                    <td>{s.sampler}</td>
                    <td className="num" data-testid="study-trials">
                      {s.completeCount} / {s.trialCount}
                    </td>
                    <td className="num" data-testid="study-best">
                      {formatValue(s.bestValue)}
                    </td>
                    <td>{formatDate(s.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

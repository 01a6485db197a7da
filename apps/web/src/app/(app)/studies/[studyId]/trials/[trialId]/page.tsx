"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useRef } from "react";
import { ArtifactsCard } from "@/components/artifacts-card";
import { RegisterTrialButton } from "@/components/register-buttons";
import { ProposedByBadge, RerunTrialButton } from "@/components/rerun-trial-button";
import { StopTrialButton } from "@/components/stop-trial-button";
import { Empty, ErrorNote, Loading, StateBadge } from "@/components/ui";
import { formatDate, formatDuration, formatParam, formatValue } from "@/lib/format";
import { useLiveStudy } from "@/lib/live";
import { constraintBreaches, specObjectives } from "@/lib/plot-objectives";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../../../app-shell";

const IntermediateChart = dynamic(() => import("@/components/intermediate-chart").then((m) => m.IntermediateChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

export default function TrialPage() {
  const { studyId, trialId } = useParams<{ studyId: string; trialId: string }>();
  const trpc = useTRPC();
  const { canWrite } = useOrg();
  useLiveStudy(studyId);
  const trial = useQuery(trpc.trial.get.queryOptions({ trialId }));
  const study = useQuery(trpc.study.get.queryOptions({ studyId }));
  const project = useQuery({
    ...trpc.project.get.queryOptions({ projectId: study.data?.projectId ?? "" }),
    enabled: Boolean(study.data?.projectId),
  });

  if (trial.isPending) return <Loading />;
  if (trial.error) return <ErrorNote error={trial.error} />;
  const t = trial.data;
  const spec = study.data?.spec as TrialSpecView | undefined;
  const objectives = spec ? specObjectives(spec) : [];
  const breaches = constraintBreaches(spec?.constraints ?? [], t.constraintValues, formatValue);

  return (
    <>
      <div className="crumbs" data-testid="trial-crumbs">
        <Link href="/projects">Projects</Link> /{" "}
        {study.data ? <Link href={`/projects/${study.data.projectId}`}>{project.data?.name ?? "Project"}</Link> : "…"} /{" "}
        <Link href={`/studies/${studyId}`}>{study.data?.name ?? "Study"}</Link> /
      </div>
      <div className="page-head">
        <div>
          <div className="row">
            <h1>Trial #{t.number}</h1>
            <StateBadge state={t.state} />
            <ProposedByBadge proposedBy={t.proposedBy} />
            <FeasibilityBadge feasible={t.feasible} breaches={breaches} />
          </div>
          <div className="sub">
            started {formatDate(t.startedAt)} · finished {formatDate(t.finishedAt)} · {formatDuration(t.startedAt, t.finishedAt)}
            {t.endCode ? (
              <>
                {" "}
                · <span className="mono">{t.endCode}</span>
                {t.endReason ? ` — ${t.endReason}` : ""}
              </>
            ) : null}
          </div>
        </div>
        <div className="row">
          {canWrite && (t.state === "running" || t.state === "waiting") ? (
            <StopTrialButton trialId={t.id} number={t.number} />
          ) : null}
          {canWrite ? <RerunTrialButton studyId={studyId} params={t.params} /> : null}
          {canWrite ? <RegisterTrialButton trialId={t.id} studyName={study.data?.name} /> : null}
          <Link href={`/studies/${studyId}`} className="btn">
            Back to study
          </Link>
        </div>
      </div>
      <div className="stats">
        {objectives.length > 1 ? (
          objectives.map((o, i) => (
            <div className="stat" key={o.metric}>
              <div className="label">
                {o.metric} ({o.direction})
              </div>
              <div className="value" data-testid="trial-objective-value" data-metric={o.metric}>
                {formatValue(t.values?.[i])}
              </div>
            </div>
          ))
        ) : (
          <div className="stat">
            <div className="label">Value</div>
            <div className="value" data-testid="trial-value">
              {formatValue(t.value)}
            </div>
          </div>
        )}
        <div className="stat">
          <div className="label">Last step</div>
          <div className="value">{t.lastStep ?? "—"}</div>
        </div>
        <div className="stat">
          <div className="label">Attempt</div>
          <div className="value">{t.attempt}</div>
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <div className="card-head">
            <h2>Parameters</h2>
          </div>
          <div className="card-body">
            <dl className="kv" data-testid="trial-params">
              {Object.entries(t.params as Record<string, unknown>).map(([k, v]) => (
                <div key={k} style={{ display: "contents" }}>
                  <dt>{k}</dt>
                  <dd>{formatParam(v)}</dd>
                </div>
              ))}
            </dl>
          </div>
        </div>
        <div className="card">
          <div className="card-head">
            <h2>Intermediate values</h2>
            <span className="muted">{t.intermediate.length} points</span>
          </div>
          <div className="chart chart-small" data-testid="intermediate-chart">
            {t.intermediate.length === 0 ? (
              <Empty title="No intermediate values">
                Report them with <code>trial.report</code> to enable pruning.
              </Empty>
            ) : (
              <IntermediateChart points={t.intermediate} />
            )}
          </div>
        </div>
      </div>
      <div className="card section">
        <div className="card-head">
          <h2>Attempts</h2>
        </div>
        {t.attempts.length === 0 ? (
          <Empty title="No attempts yet">The trial is waiting for an agent or an ask.</Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="attempts-table">
              <thead>
                <tr>
                  <th className="num">#</th>
                  <th>Lease</th>
                  <th>Agent</th>
                  <th>Started</th>
                  <th>Ended</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                {t.attempts.map((a) => (
                  <tr key={a.attempt} data-testid="attempt-row" data-attempt={a.attempt} data-end-code={a.endCode ?? ""}>
                    <td className="num">{a.attempt}</td>
                    <td>{a.leaseKind}</td>
                    <td className={a.agentName ? undefined : "mono"}>
                      {a.agentName ? <Link href="/agents">{a.agentName}</Link> : a.agentId ? a.agentId.slice(0, 8) : "—"}
                    </td>
                    <td>{formatDate(a.startedAt)}</td>
                    <td>{formatDate(a.endedAt)}</td>
                    <td data-testid="attempt-outcome">
                      {a.endCode ? <span className="mono">{a.endCode}</span> : a.endedAt ? "ok" : "running"}
                      {a.endReason ? <span className="muted"> — {a.endReason}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <ArtifactsCard trialId={t.id} />
      {t.attempts.some((a) => a.logTail) ? (
        <div className="card section">
          <div className="card-head">
            <h2>Log</h2>
            <span className="muted">the end of each attempt&apos;s output (bounded, secrets redacted by the agent)</span>
          </div>
          <div className="card-body stack">
            {t.attempts
              .filter((a) => a.logTail)
              .map((a) => (
                <div key={a.attempt}>
                  <div className="muted" style={{ fontSize: 12.5, marginBottom: 4 }}>
                    Attempt {a.attempt}
                    {a.agentName ? ` on ${a.agentName}` : ""}
                    {a.endCode ? ` · ${a.endCode}` : a.endedAt ? "" : " · running"}
                  </div>
                  <LogTail attempt={a.attempt} text={a.logTail ?? ""} />
                </div>
              ))}
          </div>
        </div>
      ) : null}
    </>
  );
}

/** An attempt's log tail, scrolled to its end (the newest lines are what one looks for). */
function LogTail({ attempt, text }: { attempt: number; text: string }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [text]);
  return (
    <pre
      ref={ref}
      data-testid="attempt-log"
      data-attempt={attempt}
      style={{
        background: "#0f172a",
        color: "#e2e8f0",
        padding: 12,
        borderRadius: 6,
        maxHeight: 360,
        overflow: "auto",
        whiteSpace: "pre-wrap",
        wordBreak: "break-all",
        margin: 0,
      }}
    >
      {text}
    </pre>
  );
}

/** The parts of the study's spec the trial page reads. */
interface TrialSpecView {
  objective?: { metric?: string; direction?: string };
  objectives?: Array<{ metric?: string; direction?: string }>;
  constraints?: Array<{ metric: string; min?: number; max?: number }>;
}

/** Whether the trial met the study's constraints: "feasible", or "infeasible: memory_gb 18.2 > 16" per violated one. */
function FeasibilityBadge({ feasible, breaches }: { feasible: boolean | null; breaches: string[] }) {
  if (feasible === null) return null;
  return feasible ? (
    <span className="badge badge-complete" data-testid="trial-feasibility" data-feasible="true">
      feasible
    </span>
  ) : (
    <span
      className="badge badge-failed"
      data-testid="trial-feasibility"
      data-feasible="false"
      title="A violated constraint keeps the trial out of the best and the Pareto set"
    >
      infeasible{breaches.length ? `: ${breaches.join(", ")}` : ""}
    </span>
  );
}

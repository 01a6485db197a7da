"use client";
import { useQuery } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Empty, ErrorNote, Loading, StateBadge } from "@/components/ui";
import { formatDate, formatDuration, formatParam, formatValue } from "@/lib/format";
import { useLiveStudy } from "@/lib/live";
import { useTRPC } from "@/lib/trpc";

const IntermediateChart = dynamic(() => import("@/components/intermediate-chart").then((m) => m.IntermediateChart), {
  ssr: false,
  loading: () => <Loading label="Loading chart…" />,
});

export default function TrialPage() {
  const { studyId, trialId } = useParams<{ studyId: string; trialId: string }>();
  const trpc = useTRPC();
  useLiveStudy(studyId);
  const trial = useQuery(trpc.trial.get.queryOptions({ trialId }));
  const study = useQuery(trpc.study.get.queryOptions({ studyId }));

  if (trial.isPending) return <Loading />;
  if (trial.error) return <ErrorNote error={trial.error} />;
  const t = trial.data;

  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/studies/${studyId}`}>{study.data?.name ?? "Study"}</Link> /
      </div>
      <div className="page-head">
        <div>
          <div className="row">
            <h1>Trial #{t.number}</h1>
            <StateBadge state={t.state} />
          </div>
          <div className="sub">
            started {formatDate(t.startedAt)} · finished {formatDate(t.finishedAt)} · {formatDuration(t.startedAt, t.finishedAt)}
            {t.endCode ? (
              <>
                {" "}· <span className="mono">{t.endCode}</span>
                {t.endReason ? ` — ${t.endReason}` : ""}
              </>
            ) : null}
          </div>
        </div>
        <Link href={`/studies/${studyId}`} className="btn">
          Back to study
        </Link>
      </div>
      <div className="stats">
        <div className="stat">
          <div className="label">Value</div>
          <div className="value" data-testid="trial-value">{formatValue(t.value)}</div>
        </div>
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
              <Empty title="No intermediate values">Report them with <code>trial.report</code> to enable pruning.</Empty>
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
                  <tr key={a.attempt}>
                    <td className="num">{a.attempt}</td>
                    <td>{a.leaseKind}</td>
                    <td className="mono">{a.agentId ? a.agentId.slice(0, 8) : "—"}</td>
                    <td>{formatDate(a.startedAt)}</td>
                    <td>{formatDate(a.endedAt)}</td>
                    <td>
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
    </>
  );
}

"use client";
import Link from "next/link";
import { formatBytes } from "@/components/artifacts-card";
import { DeployBestButton } from "@/components/deploy-buttons";
import { RegisterBestButton } from "@/components/register-buttons";
import { ConfirmButton, StateBadge } from "@/components/ui";
import { WarmStartNote } from "@/components/warm-start-note";
import { formatDate, formatValue } from "@/lib/format";
import { specObjectives } from "@/lib/plot-objectives";
import type { StudySpecView, TStudy } from "./study-view";

interface StudyHeaderProps {
  study: TStudy;
  spec: StudySpecView;
  projectName: string | undefined;
  connected: boolean;
  canWrite: boolean;
  onStop: () => void;
  onDelete: () => void;
  isStopping: boolean;
  isDeleting: boolean;
  /** The trial "Register best" registers: the best, or a multi-objective study's chosen Pareto trial. */
  registerTrial: { trialId: string; number: number } | null;
}

/** Breadcrumbs, the study's name, state and live indicator, its spec in one line, and Stop / Delete for writers. */
export function StudyHeader({
  study: s,
  spec,
  projectName,
  connected,
  canWrite,
  onStop,
  onDelete,
  isStopping,
  isDeleting,
  registerTrial,
}: StudyHeaderProps) {
  // run.env values are write-only: the API shows the names, masked; so does the page.
  const envNames = Object.keys(spec.run?.env ?? {});
  const paretoSize = specObjectives(spec).length > 1 ? (s.best?.pareto?.length ?? 0) : null;
  return (
    <>
      <div className="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${s.projectId}`}>{projectName ?? "Project"}</Link> /
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
            {specObjectives(spec).map((o, i) => (
              <span key={o.metric}>
                {i > 0 ? ", " : ""}
                {o.direction} <span className="mono">{o.metric}</span>
              </span>
            ))}
            {spec.constraints?.length ? (
              <span data-testid="study-constraints">
                {" · subject to "}
                {spec.constraints.map((c) => constraintText(c)).join(", ")}
              </span>
            ) : null}
            {paretoSize !== null ? (
              <span data-testid="pareto-size">
                {" · "}
                <strong>
                  Pareto set: {paretoSize} {paretoSize === 1 ? "trial" : "trials"}
                </strong>
              </span>
            ) : null}
            {" · "}sampler {spec.sampler?.name}
            {spec.sampler?.seed !== undefined ? ` (seed ${spec.sampler.seed})` : ""} · created {formatDate(s.createdAt)}
            {s.stoppedAt ? ` · stopped ${formatDate(s.stoppedAt)}` : ""}
            <span title="What this study's trials hold in the artifact store, every attempt's files" data-testid="study-storage">
              {` · artifacts ${formatBytes(s.storageBytes)} in ${s.storageFiles} ${s.storageFiles === 1 ? "file" : "files"}`}
            </span>
            {envNames.length ? (
              <span
                title="Environment values are secret: agents receive them, nobody can read them back."
                data-testid="study-env"
              >
                {" · env "}
                <span className="mono">{envNames.join(", ")}</span> (values hidden)
              </span>
            ) : null}
            <WarmStartNote studyId={s.id} />
          </div>
          {s.stopReason ? (
            <div className="sub" data-testid="study-stop-reason">
              Stopped itself: {s.stopReason}
            </div>
          ) : null}
        </div>
        {canWrite ? (
          <div className="row">
            <RegisterBestButton best={registerTrial} studyName={s.name} pareto={Boolean(s.best?.pareto)} />
            {s.best?.pareto ? null : <DeployBestButton studyId={s.id} best={registerTrial} />}
            {s.state === "running" ? (
              <ConfirmButton
                label="Stop"
                confirmLabel="Stop study"
                question="Running trials will be stopped (agents end their processes) and marked failed."
                onConfirm={onStop}
                pending={isStopping}
                testId="stop-study"
              />
            ) : null}
            <ConfirmButton
              label="Delete"
              confirmLabel="Delete study"
              question="Delete this study and all its trials?"
              onConfirm={onDelete}
              pending={isDeleting}
              testId="delete-study"
            />
          </div>
        ) : null}
      </div>
    </>
  );
}

/** A constraint as the header reads it: "memory_gb ≤ 16", "0.1 ≤ recall", "0.1 ≤ recall ≤ 1". */
function constraintText(c: { metric: string; min?: number; max?: number }): string {
  return `${c.min !== undefined ? `${formatValue(c.min)} ≤ ` : ""}${c.metric}${c.max !== undefined ? ` ≤ ${formatValue(c.max)}` : ""}`;
}

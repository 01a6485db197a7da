"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatRelative, formatValue } from "@/lib/format";
import { modelPath } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../app-shell";
import { AliasBadges } from "./alias-badges";

export default function ModelsPage() {
  const trpc = useTRPC();
  const { org } = useOrg();
  const [projectId, setProjectId] = useState("");
  const projects = useQuery(trpc.project.list.queryOptions());
  const models = useQuery(trpc.model.list.queryOptions(projectId ? { projectId } : undefined));
  const projectName = (id: string | null) => projects.data?.find((p) => p.id === id)?.name;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Models</h1>
          <div className="sub">Registered models of {org.name}: versioned, verifiable trial outputs with their lineage.</div>
        </div>
        <div className="toolbar">
          <label htmlFor="models-project" className="muted">
            Project
          </label>
          <select
            id="models-project"
            value={projectId}
            onChange={(e) => setProjectId(e.target.value)}
            data-testid="models-project"
          >
            <option value="">All projects</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="card">
        {models.isPending ? (
          <SkeletonRows />
        ) : models.error ? (
          <div className="card-body">
            <ErrorNote error={models.error} />
          </div>
        ) : models.data.length === 0 ? (
          <Empty title={projectId ? "No models from this project" : "No models yet"}>
            A model is a trial&apos;s uploaded files, registered as a version. Register one with <strong>Register model</strong>{" "}
            on a trial page or <strong>Register best</strong> on a study page, add{" "}
            <code>register: {"{model: NAME, alias: candidate}"}</code> to a study spec to register each new best trial, or run{" "}
            <code>autoglm model register --trial TRIAL_ID --name NAME</code>.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="models-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Project</th>
                  <th className="num">Latest</th>
                  <th>Aliases</th>
                  <th>Best</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {models.data.map((m) => (
                  <tr key={m.name} data-testid="model-row" data-model={m.name}>
                    <td>
                      <Link href={modelPath(m.name)} className="title">
                        {m.name}
                      </Link>
                      {m.description ? <div className="muted">{m.description}</div> : null}
                    </td>
                    <td>
                      {m.projectId ? <Link href={`/projects/${m.projectId}`}>{projectName(m.projectId) ?? "project"}</Link> : "—"}
                    </td>
                    <td className="num" data-testid="model-latest">
                      {m.latest ? `v${m.latest.version}` : "—"}
                      <span className="muted"> of {m.versionCount}</span>
                    </td>
                    <td>
                      <AliasBadges aliases={m.aliases} />
                    </td>
                    <td data-testid="model-best">
                      {m.best ? (
                        <span title={`${m.best.direction} ${m.best.metric}, over live versions`}>
                          <span className="mono">{m.best.metric}</span> {formatValue(m.best.value)}{" "}
                          <span className="muted">(v{m.best.version})</span>
                        </span>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td title={m.updatedAt}>{formatRelative(m.updatedAt)}</td>
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

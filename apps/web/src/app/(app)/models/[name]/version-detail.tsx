"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { formatBytes } from "@/components/artifacts-card";
import { ConfirmButton, ErrorNote } from "@/components/ui";
import { formatDate, formatValue } from "@/lib/format";
import type { TModelVersion } from "@/lib/model-view";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

/** One version's files (download links through the verified route, full SHA-256s), its lineage, and Delete. */
export function VersionDetail({ model, version: v }: { model: string; version: TModelVersion }) {
  const { canWrite } = useOrg();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const del = useMutation(
    trpc.model.deleteVersion.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.model.pathFilter()) }),
  );
  const l = v.lineage;
  return (
    <div className="card section" data-testid="version-detail" data-version={v.version}>
      <div className="card-head">
        <h2>
          Version {v.version}{" "}
          <span className="muted mono" style={{ fontSize: 13 }}>
            {v.uri}
          </span>
        </h2>
        {canWrite && !v.deletedAt ? (
          <ConfirmButton
            label="Delete version"
            confirmLabel={`Delete v${v.version}`}
            question={`Version ${v.version} stops resolving; its number is never reused.`}
            onConfirm={() => del.mutate({ name: model, version: v.version })}
            pending={del.isPending}
            testId="delete-version"
          />
        ) : null}
      </div>
      {del.error ? (
        <div className="card-body">
          <ErrorNote error={del.error} testId="delete-version-error" />
        </div>
      ) : null}
      <div className="table-wrap">
        <table data-testid="version-files">
          <thead>
            <tr>
              <th>File</th>
              <th className="num">Size</th>
              <th>SHA-256</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {v.files.map((f) => (
              <tr key={f.name} data-testid="version-file" data-name={f.name}>
                <td className="mono">{f.name}</td>
                <td className="num" title={`${f.sizeBytes} bytes`}>
                  {formatBytes(f.sizeBytes)}
                </td>
                <td className="mono" style={{ fontSize: 12, wordBreak: "break-all" }} data-testid="version-file-sha256">
                  {f.sha256}
                </td>
                <td>
                  {v.deletedAt ? (
                    <span className="muted">deleted</span>
                  ) : (
                    <a href={f.downloadUrl} download data-testid="version-file-download">
                      Download
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="card-body">
        <dl className="kv" data-testid="version-lineage-detail">
          <dt>Digest</dt>
          <dd className="mono" style={{ wordBreak: "break-all" }}>
            {v.digest}
          </dd>
          <dt>Objective</dt>
          <dd>
            {l.objective.direction} <span className="mono">{l.objective.metric}</span> = {formatValue(l.finalMetrics.value)}
            {l.finalMetrics.last ? <span className="muted"> (last report at step {l.finalMetrics.last.step})</span> : null}
          </dd>
          <dt>Trained by</dt>
          <dd>{l.agent ? l.agent.name : "an ask/tell program (no agent)"}</dd>
          <dt>Registered</dt>
          <dd>
            {formatDate(l.registeredAt)} by {l.registeredBy.email}
            {l.registeredBy.tokenName ? ` with token "${l.registeredBy.tokenName}"` : ""}
          </dd>
          {v.signature ? (
            <>
              <dt>Signature</dt>
              <dd className="mono">
                float32[{v.signature.inputs.shape.join(", ")}] → {v.signature.outputs.task} ({v.signature.outputs.size})
              </dd>
            </>
          ) : null}
          {v.source ? (
            <>
              <dt>Source</dt>
              <dd className="mono" data-testid="version-source">
                {sourceText(v.source)}
              </dd>
            </>
          ) : null}
          {v.description ? (
            <>
              <dt>Description</dt>
              <dd>{v.description}</dd>
            </>
          ) : null}
          {l.run ? (
            <>
              <dt>Run</dt>
              <dd className="mono" style={{ fontSize: 12, whiteSpace: "pre-wrap" }}>
                {JSON.stringify(l.run)}
              </dd>
            </>
          ) : null}
          {v.source ? (
            <>
              <dt>Source</dt>
              <dd className="mono" style={{ fontSize: 12 }}>
                {JSON.stringify(v.source)}
              </dd>
            </>
          ) : null}
        </dl>
      </div>
    </div>
  );
}

/** What the trial's command printed as its source: `repo @ sha (branch, path, dirty)`. */
function sourceText(src: Record<string, unknown>): string {
  const str = (k: string) => (typeof src[k] === "string" ? (src[k] as string) : null);
  const head = [str("repo"), str("git") ? `@ ${str("git")!.slice(0, 12)}` : null].filter(Boolean).join(" ");
  const extra = [str("branch"), str("path"), src.dirty === true ? "uncommitted changes" : null].filter(Boolean);
  return `${head || "(no repository)"}${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

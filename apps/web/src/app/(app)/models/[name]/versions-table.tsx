"use client";
import Link from "next/link";
import { useState } from "react";
import { CopyHash, formatBytes } from "@/components/artifacts-card";
import { Empty } from "@/components/ui";
import { formatDate, formatParam, formatValue } from "@/lib/format";
import { keyParams, orderedMetrics, type TModelVersion } from "@/lib/model-view";

interface VersionsTableProps {
  versions: TModelVersion[];
  selected: number | null;
  onSelect: (version: number) => void;
}

/** Every version, newest first: metrics (objective first), key params, size, digest, lineage, flavor. */
export function VersionsTable({ versions, selected, onSelect }: VersionsTableProps) {
  const [showDeleted, setShowDeleted] = useState(false);
  const deleted = versions.filter((v) => v.deletedAt).length;
  const rows = versions.filter((v) => showDeleted || !v.deletedAt).reverse();
  return (
    <div className="card section">
      <div className="card-head">
        <h2>Versions</h2>
        {deleted ? (
          <label className="checkbox muted">
            <input type="checkbox" checked={showDeleted} onChange={(e) => setShowDeleted(e.target.checked)} /> show {deleted}{" "}
            deleted
          </label>
        ) : null}
      </div>
      {rows.length === 0 ? (
        <Empty title="No live versions">Every version of this model was deleted; register a trial to add one.</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="versions-table">
            <thead>
              <tr>
                <th className="num">Version</th>
                <th>Created</th>
                <th>Metrics</th>
                <th>Key params</th>
                <th className="num">Size</th>
                <th>Digest</th>
                <th>Lineage</th>
                <th>Flavor</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((v) => (
                <VersionRow key={v.version} v={v} isSelected={v.version === selected} onSelect={onSelect} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function VersionRow({ v, isSelected, onSelect }: { v: TModelVersion; isSelected: boolean; onSelect: (n: number) => void }) {
  const params = keyParams(v.lineage.params);
  const { study, trial } = v.lineage;
  return (
    <tr
      data-testid="version-row"
      data-version={v.version}
      data-deleted={v.deletedAt ? "true" : "false"}
      className={isSelected ? "best" : undefined}
      style={v.deletedAt ? { opacity: 0.55 } : undefined}
    >
      <td className="num">
        <strong>v{v.version}</strong>
        {v.aliases.map((a) => (
          <div key={a}>
            <span className="badge badge-role" style={{ textTransform: "none" }}>
              {a}
            </span>
          </div>
        ))}
        {v.deletedAt ? <div className="muted">deleted</div> : null}
      </td>
      <td>
        {formatDate(v.createdAt)}
        <div className="muted" data-testid="version-created-by">
          {v.createdByEmail ?? v.lineage.registeredBy.email}
        </div>
      </td>
      <td data-testid="version-metrics">
        {orderedMetrics(v).map(([k, val], i) => (
          <span key={k} className="chip" style={i === 0 ? { fontWeight: 650 } : undefined} data-metric={k}>
            {k}={formatValue(val)}
          </span>
        ))}
      </td>
      <td>
        {params.shown.map(([k, val]) => (
          <span key={k} className="chip">
            {k}={formatParam(val)}
          </span>
        ))}
        {params.more ? <span className="muted">+{params.more}</span> : null}
      </td>
      <td className="num" title={`${v.totalBytes} bytes`}>
        {formatBytes(v.totalBytes)}
      </td>
      <td>
        <CopyHash sha256={v.digest} testId="version-digest" />
      </td>
      <td data-testid="version-lineage">
        {v.studyId ? (
          <Link href={`/studies/${v.studyId}`} data-testid="lineage-study">
            {study.name}
          </Link>
        ) : (
          <span title="the study was deleted">{study.name}</span>
        )}
        {" · "}
        {v.studyId && v.trialId ? (
          <Link href={`/studies/${v.studyId}/trials/${v.trialId}`} data-testid="lineage-trial">
            trial #{trial.number}
          </Link>
        ) : (
          <span>trial #{trial.number}</span>
        )}
        <span className="muted"> · attempt {v.attempt}</span>
      </td>
      <td className="mono">{v.flavor}</td>
      <td>
        <button
          className="btn-sm"
          onClick={() => onSelect(v.version)}
          disabled={isSelected}
          title={isSelected ? "Its files and lineage are shown below" : `Show the files and lineage of v${v.version} below`}
          data-testid="version-select"
        >
          Files
        </button>
      </td>
    </tr>
  );
}

"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";

/** 1536 → "1.5 KiB": binary units, as the store's cap (run.artifacts_max_mb) is counted. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** The first 12 hex digits of a SHA-256 (the whole in its title) and a button copying the whole. */
export function CopyHash({ sha256, testId = "artifact-sha256" }: { sha256: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="row" style={{ gap: 6 }}>
      <span className="mono" title={sha256} data-testid={testId} data-sha256={sha256}>
        {sha256.slice(0, 12)}
      </span>
      <button
        className="btn btn-sm"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(sha256);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}

/** The files the trial's agents uploaded from AUTOGLM_OUTPUT_DIR, with their SHA-256 and a download link. */
export function ArtifactsCard({ trialId }: { trialId: string }) {
  const trpc = useTRPC();
  const artifacts = useQuery(trpc.trial.artifacts.queryOptions({ trialId }));
  return (
    <div className="card section" data-testid="artifacts-card">
      <div className="card-head">
        <h2>Artifacts</h2>
        <span className="muted">the files of each attempt&apos;s output dir, uploaded when it ended</span>
      </div>
      {artifacts.isPending ? (
        <Loading />
      ) : artifacts.error ? (
        <ErrorNote error={artifacts.error} />
      ) : artifacts.data.length === 0 ? (
        <Empty title="No artifacts">Files the trial writes to AUTOGLM_OUTPUT_DIR appear here when its attempt ends.</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="artifacts-table">
            <thead>
              <tr>
                <th className="num">Attempt</th>
                <th>Name</th>
                <th className="num">Size</th>
                <th>SHA-256</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {artifacts.data.map((f) => (
                <tr key={`${f.attempt}/${f.name}`} data-testid="artifact-row" data-name={f.name}>
                  <td className="num">{f.attempt}</td>
                  <td className="mono">{f.name}</td>
                  <td className="num" title={`${f.sizeBytes} bytes`}>
                    {formatBytes(f.sizeBytes)}
                  </td>
                  <td>
                    <CopyHash sha256={f.sha256} />
                  </td>
                  <td>
                    <a href={f.downloadUrl} download data-testid="artifact-download">
                      Download
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

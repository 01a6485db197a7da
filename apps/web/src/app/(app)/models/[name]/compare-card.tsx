"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Empty, ErrorNote, Loading } from "@/components/ui";
import { formatParam } from "@/lib/format";
import { defaultComparePair, type TModelVersion } from "@/lib/model-view";
import { useTRPC, type RouterOutputs } from "@/lib/trpc";

type TCompareRow = RouterOutputs["model"]["compare"]["params"][number];

/** Two chosen versions side by side: every param and metric either has, the rows that differ highlighted. */
export function CompareCard({ model, versions }: { model: string; versions: TModelVersion[] }) {
  const trpc = useTRPC();
  const live = versions.filter((v) => !v.deletedAt).map((v) => v.version);
  const initial = defaultComparePair(versions);
  const [pick, setPick] = useState<{ a: number; b: number } | null>(null);
  const pair = pick ?? (initial ? { a: initial[0], b: initial[1] } : null);
  const compare = useQuery({
    ...trpc.model.compare.queryOptions({ a: `${model}/${pair?.a ?? 1}`, b: `${model}/${pair?.b ?? 1}` }),
    enabled: pair !== null,
  });

  const select = (side: "a" | "b") => (
    <select
      aria-label={`Version ${side === "a" ? "left" : "right"}`}
      value={pair?.[side] ?? ""}
      onChange={(e) => pair && setPick({ ...pair, [side]: Number(e.target.value) })}
      data-testid={`compare-${side}`}
    >
      {live.map((n) => (
        <option key={n} value={n}>
          v{n}
        </option>
      ))}
    </select>
  );

  return (
    <div className="card section" data-testid="compare-card">
      <div className="card-head">
        <h2>Compare versions</h2>
        {pair ? (
          <span className="toolbar">
            {select("a")} vs {select("b")}
          </span>
        ) : null}
      </div>
      {!pair ? (
        <Empty title="One version so far">Register another trial to this model to compare two versions side by side.</Empty>
      ) : compare.isPending ? (
        <Loading />
      ) : compare.error ? (
        <div className="card-body">
          <ErrorNote error={compare.error} />
        </div>
      ) : (
        <div className="table-wrap">
          <table data-testid="compare-table">
            <thead>
              <tr>
                <th />
                <th>v{compare.data.a.version}</th>
                <th>v{compare.data.b.version}</th>
              </tr>
            </thead>
            <tbody>
              <CompareSection title="Parameters" kind="param" rows={compare.data.params} />
              <CompareSection title="Metrics" kind="metric" rows={compare.data.metrics} />
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CompareSection({ title, kind, rows }: { title: string; kind: string; rows: TCompareRow[] }) {
  return (
    <>
      <tr>
        <th colSpan={3}>{title}</th>
      </tr>
      {rows.map((r) => (
        <tr
          key={r.name}
          data-testid="compare-row"
          data-kind={kind}
          data-name={r.name}
          data-differs={r.differs ? "true" : "false"}
          style={r.differs ? { background: "var(--warn-soft)" } : undefined}
          title={r.differs ? "differs" : undefined}
        >
          <td className="mono">{r.name}</td>
          <td className="mono">{formatParam(r.a)}</td>
          <td className="mono">{formatParam(r.b)}</td>
        </tr>
      ))}
    </>
  );
}

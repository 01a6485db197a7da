"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef } from "react";
import { ProposedByBadge } from "@/components/rerun-trial-button";
import { StopTrialButton } from "@/components/stop-trial-button";
import { Empty, StateBadge } from "@/components/ui";
import { durationMs, formatDate, formatDuration, formatParam, formatValue } from "@/lib/format";
import type { OptionalColumn } from "./trial-columns";
import type { TablePrefs } from "./use-trial-table-prefs";

/** A row as the table draws it: a trial.list item, or a brushed plot trial. */
export interface TableRow {
  id: string;
  number: number;
  state: string;
  value: number | null;
  params: Readonly<Record<string, unknown>>;
  startedAt: string | null;
  finishedAt: string | null;
  endCode: string | null;
  endReason: string | null;
  metrics: Readonly<Record<string, unknown>> | null;
  proposedBy?: string | null;
}

type SortBy = TablePrefs["sortBy"];

/** Row height in px at the table's 13.5 px font and 8 px padding; rows are measured, this is the first guess. */
const ROW_PX = 37;
/** The list scrolls inside the card past this height: 16 rows, the rest drawn as they scroll into view. */
const MAX_HEIGHT_PX = 600;

function cellOf(t: TableRow, c: OptionalColumn): unknown {
  return c.kind === "param" ? t.params[c.name] : t.metrics?.[c.name];
}

/**
 * The rows of one page in a virtualized list: only the rows in view (and a few beyond) are in the
 * DOM, so a 2,000-row page scrolls as smoothly as a 20-row one. Spacer rows above and below keep
 * the scroll height of the whole page.
 */
export function TrialRows(props: {
  studyId: string;
  rows: TableRow[];
  columns: OptionalColumn[];
  bestTrialId: string | undefined;
  canStop: boolean;
  sort: { by: SortBy; dir: "asc" | "desc" };
  onSort: (by: SortBy, dir: "asc" | "desc") => void;
  emptyTitle: string;
  emptyText: string;
}) {
  const { studyId, rows, columns, bestTrialId, canStop, sort } = props;
  const router = useRouter();
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_PX,
    overscan: 12,
    getItemKey: (i) => rows[i]?.id ?? i,
  });
  if (rows.length === 0) return <Empty title={props.emptyTitle}>{props.emptyText}</Empty>;
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const span = 5 + columns.length + (canStop ? 1 : 0);

  function sortHeader(by: SortBy, label: string, numeric = false) {
    const active = sort.by === by;
    return (
      <th
        className={`sortable ${numeric ? "num" : ""}`}
        onClick={() => props.onSort(by, active ? (sort.dir === "asc" ? "desc" : "asc") : by === "number" ? "desc" : "asc")}
        data-testid={`sort-${by}`}
        aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
        style={{ position: "sticky", top: 0, zIndex: 1 }}
      >
        {label} {active ? (sort.dir === "asc" ? "▲" : "▼") : ""}
      </th>
    );
  }
  const sticky = { position: "sticky" as const, top: 0, zIndex: 1 };

  return (
    <div className="table-wrap" ref={scrollRef} style={{ maxHeight: MAX_HEIGHT_PX, overflow: "auto" }} data-testid="trial-scroll">
      <table data-testid="trial-table">
        <thead>
          <tr>
            {sortHeader("number", "#", true)}
            {sortHeader("state", "State")}
            {sortHeader("value", "Value", true)}
            {sortHeader("duration", "Duration", true)}
            {columns.map((c) => (
              <th
                key={c.key}
                className="mono"
                style={{ ...sticky, textTransform: "none" }}
                data-testid={`column-head-${c.kind}-${c.name}`}
              >
                {c.kind === "metric" ? <span className="faint">metric </span> : null}
                {c.name}
              </th>
            ))}
            <th style={sticky}>Finished</th>
            {canStop ? <th aria-label="Actions" style={sticky} /> : null}
          </tr>
        </thead>
        <tbody>
          {padTop > 0 ? (
            <tr aria-hidden style={{ height: padTop }}>
              <td colSpan={span} style={{ padding: 0, border: 0 }} />
            </tr>
          ) : null}
          {items.map((item) => {
            const t = rows[item.index]!;
            const href = `/studies/${studyId}/trials/${t.id}`;
            return (
              <tr
                key={item.key}
                ref={virtualizer.measureElement}
                data-index={item.index}
                className={`clickable ${t.id === bestTrialId ? "best" : ""}`}
                onClick={() => router.push(href)}
                data-testid="trial-row"
                data-trial-number={t.number}
                data-state={t.state}
              >
                <td className="num">
                  <Link href={href} onClick={(e) => e.stopPropagation()}>
                    {t.number}
                  </Link>
                </td>
                <td title={t.endReason ?? undefined}>
                  <StateBadge state={t.state} /> <ProposedByBadge proposedBy={t.proposedBy ?? null} />
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
                {columns.map((c) => {
                  const v = cellOf(t, c);
                  return (
                    <td
                      key={c.key}
                      className={typeof v === "number" ? "num mono" : "mono"}
                      data-testid={`cell-${c.kind}-${c.name}`}
                    >
                      {v === undefined || v === null ? "" : formatParam(v)}
                    </td>
                  );
                })}
                <td className="muted">{formatDate(t.finishedAt)}</td>
                {canStop ? (
                  <td onClick={(e) => e.stopPropagation()} style={{ whiteSpace: "nowrap" }}>
                    {t.state === "running" || t.state === "waiting" ? (
                      <StopTrialButton trialId={t.id} number={t.number} compact />
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
          {padBottom > 0 ? (
            <tr aria-hidden style={{ height: padBottom }}>
              <td colSpan={span} style={{ padding: 0, border: 0 }} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

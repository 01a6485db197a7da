"use client";
import { useOrg } from "../../app-shell";
import { PAGE_SIZES, type TablePrefs } from "./use-trial-table-prefs";

/** First / previous / next / last over the server's pages, with where this page sits in the total. */
export function Pager({
  page,
  lastPage,
  total,
  shown,
  pageSize,
  isFetching,
  onPage,
  onPageSize,
}: {
  page: number;
  lastPage: number;
  total: number;
  shown: number;
  pageSize: TablePrefs["pageSize"];
  isFetching: boolean;
  onPage: (page: number) => void;
  onPageSize: (size: TablePrefs["pageSize"]) => void;
}) {
  const first = total === 0 ? 0 : page * pageSize + 1;
  const last = page * pageSize + shown;
  return (
    <div className="card-body toolbar" style={{ justifyContent: "space-between", fontSize: 13 }}>
      <span className="muted" data-testid="trial-page-info">
        {total === 0
          ? "no trials"
          : `${first.toLocaleString("en")}–${last.toLocaleString("en")} of ${total.toLocaleString("en")}`}
        {isFetching ? " …" : ""}
      </span>
      <span className="toolbar">
        <button type="button" className="btn-sm" onClick={() => onPage(0)} disabled={page === 0} data-testid="page-first">
          « First
        </button>
        <button type="button" className="btn-sm" onClick={() => onPage(page - 1)} disabled={page === 0} data-testid="page-prev">
          ‹ Prev
        </button>
        <span className="muted">
          page {(page + 1).toLocaleString("en")} of {(lastPage + 1).toLocaleString("en")}
        </span>
        <button
          type="button"
          className="btn-sm"
          onClick={() => onPage(page + 1)}
          disabled={page >= lastPage}
          data-testid="page-next"
        >
          Next ›
        </button>
        <button
          type="button"
          className="btn-sm"
          onClick={() => onPage(lastPage)}
          disabled={page >= lastPage}
          data-testid="page-last"
        >
          Last »
        </button>
        <select
          aria-label="Rows per page"
          value={pageSize}
          onChange={(e) => onPageSize(Number(e.target.value) as TablePrefs["pageSize"])}
          data-testid="page-size"
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n} per page
            </option>
          ))}
        </select>
      </span>
    </div>
  );
}

/** Every trial of the study as a file, streamed by the server's export route with the session's team. */
export function ExportLinks({ studyId }: { studyId: string }) {
  const { org } = useOrg();
  const href = (format: "csv" | "json") => `/api/studies/${studyId}/export?format=${format}&org=${org.id}`;
  return (
    <span className="toolbar" style={{ gap: 4 }}>
      <a className="btn btn-sm" href={href("csv")} download data-testid="export-csv">
        Export CSV
      </a>
      <a className="btn btn-sm" href={href("json")} download data-testid="export-json">
        Export JSON
      </a>
    </span>
  );
}

// What the CLI prints: JSON for programs, plain aligned text for people (no colours, so it pipes cleanly).

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(" ");
}

/**
 * Belt and braces for S10: whatever a message echoes (a mistyped flag, a URL, a server
 * sentence), an `agl_…` token in it is cut to its display prefix before it reaches stderr.
 */
export function redactTokens(text: string): string {
  return text.replace(/\bagl_([0-9A-Za-z]{4})[0-9A-Za-z]{4,}/g, "agl_$1…");
}

/** A plain aligned table. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

export function formatMb(mb: number): string {
  if (!mb) return "-";
  return mb >= 1024 ? `${Math.round(mb / 1024)}G` : `${mb}M`;
}

/** Seconds/minutes/hours since an ISO time, like the dashboard's "12 s ago". */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return "-";
  return s < 60
    ? `${s}s ago`
    : s < 3600
      ? `${Math.round(s / 60)}m ago`
      : s < 86400
        ? `${Math.round(s / 3600)}h ago`
        : `${Math.round(s / 86400)}d ago`;
}

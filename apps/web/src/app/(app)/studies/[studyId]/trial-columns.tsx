"use client";

/** An optional column of the trial table: a parameter, or a metric of the trial's last reported step. */
export interface OptionalColumn {
  key: string;
  kind: "param" | "metric";
  name: string;
}

export const columnKey = (kind: OptionalColumn["kind"], name: string) => `${kind}:${name}`;

/** The columns shown when a person has chosen none: the first parameters of the space. */
const DEFAULT_PARAM_COLUMNS = 4;

/** The chosen columns in the order they were chosen, a stored choice whose name no page shows now included. */
export function chosenColumns(chosen: string[] | null, params: string[]): OptionalColumn[] {
  const keys = chosen ?? params.slice(0, DEFAULT_PARAM_COLUMNS).map((p) => columnKey("param", p));
  return keys.flatMap((key) => {
    const i = key.indexOf(":");
    const kind = key.slice(0, i);
    if (kind !== "param" && kind !== "metric") return [];
    return [{ key, kind, name: key.slice(i + 1) }];
  });
}

function Group({
  title,
  kind,
  names,
  chosen,
  toggle,
}: {
  title: string;
  kind: OptionalColumn["kind"];
  names: string[];
  chosen: Set<string>;
  toggle: (key: string) => void;
}) {
  if (names.length === 0) return null;
  return (
    <fieldset style={{ border: 0, padding: 0, margin: "0 0 8px" }}>
      <legend className="muted" style={{ fontSize: 12, marginBottom: 4 }}>
        {title}
      </legend>
      {names.map((n) => {
        const key = columnKey(kind, n);
        return (
          <label key={key} style={{ display: "block", fontWeight: 400, margin: "2px 0", whiteSpace: "nowrap" }}>
            <input type="checkbox" checked={chosen.has(key)} onChange={() => toggle(key)} data-testid={`column-${kind}-${n}`} />{" "}
            <span className="mono">{n}</span>
          </label>
        );
      })}
    </fieldset>
  );
}

/** Which parameters and last-step metrics the table shows as columns. */
export function ColumnChooser({
  params,
  metrics,
  columns,
  onChange,
}: {
  params: string[];
  metrics: string[];
  columns: OptionalColumn[];
  onChange: (keys: string[]) => void;
}) {
  const chosen = new Set(columns.map((c) => c.key));
  const toggle = (key: string) =>
    onChange(chosen.has(key) ? columns.map((c) => c.key).filter((k) => k !== key) : [...columns.map((c) => c.key), key]);
  return (
    <details className="column-chooser" style={{ position: "relative" }} data-testid="column-chooser">
      <summary className="btn btn-sm" style={{ listStyle: "none", cursor: "pointer" }}>
        Columns ({columns.length})
      </summary>
      <div
        className="card"
        style={{ position: "absolute", right: 0, zIndex: 20, padding: 12, minWidth: 200, maxHeight: 360, overflow: "auto" }}
      >
        <Group title="Parameters" kind="param" names={params} chosen={chosen} toggle={toggle} />
        <Group title="Last reported metrics" kind="metric" names={metrics} chosen={chosen} toggle={toggle} />
        {metrics.length === 0 ? (
          <div className="faint" style={{ fontSize: 12 }}>
            No trial on this page reported metrics.
          </div>
        ) : null}
      </div>
    </details>
  );
}

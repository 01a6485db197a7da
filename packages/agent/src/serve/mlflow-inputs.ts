import { batchFromRows, checkRowCount, describe, InputError, toFloat, type Batch } from "./batch.js";

/**
 * MLflow scoring-server input (`POST /invocations`): a JSON object with exactly one of
 * `inputs` | `instances` | `dataframe_split` | `dataframe_records` (plus optional `params`),
 * or a `text/csv` body. Every form becomes rows of exactly the model's input width.
 */
export const MLFLOW_INPUT_KEYS = ["inputs", "instances", "dataframe_split", "dataframe_records"] as const;

export function parseMlflowJson(body: unknown, width: number): Batch {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new InputError(`the body must be a JSON object with one of ${MLFLOW_INPUT_KEYS.join(", ")}`);
  const keys = Object.keys(body);
  const given = keys.filter((k) => (MLFLOW_INPUT_KEYS as readonly string[]).includes(k));
  const unknown = keys.filter((k) => k !== "params" && !given.includes(k));
  if (unknown.length > 0)
    throw new InputError(`unknown field ${JSON.stringify(unknown[0])}; give one of ${MLFLOW_INPUT_KEYS.join(", ")}`);
  if (given.length !== 1)
    throw new InputError(
      given.length === 0
        ? `the body must have one of ${MLFLOW_INPUT_KEYS.join(", ")}`
        : `the body must have exactly one of ${MLFLOW_INPUT_KEYS.join(", ")}, got ${given.join(" and ")}`,
    );
  const key = given[0] as (typeof MLFLOW_INPUT_KEYS)[number];
  const value = (body as Record<string, unknown>)[key];
  switch (key) {
    case "inputs":
    case "instances":
      return tensorRows(value, width, key);
    case "dataframe_split":
      return splitRows(value, width);
    case "dataframe_records":
      return recordRows(value, width);
  }
}

/** `inputs` / `instances`: a list of rows, or `{name: rows}` naming the model's one input tensor. */
function tensorRows(value: unknown, width: number, key: string): Batch {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const names = Object.keys(value);
    if (names.length !== 1) throw new InputError(`${key} names ${names.length} tensors; the model takes one input`);
    return tensorRows((value as Record<string, unknown>)[names[0]!], width, `${key}.${names[0]}`);
  }
  if (!Array.isArray(value)) throw new InputError(`${key} must be a list of rows, got ${describe(value)}`);
  return batchFromRows(value, width, key);
}

function splitRows(value: unknown, width: number): Batch {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new InputError(`dataframe_split must be an object with "data" (and optionally "columns", "index")`);
  const { columns, data } = value as { columns?: unknown; data?: unknown };
  if (columns !== undefined && (!Array.isArray(columns) || columns.length !== width))
    throw new InputError(
      `dataframe_split.columns must list ${width} columns, got ${Array.isArray(columns) ? columns.length : describe(columns)}`,
    );
  if (!Array.isArray(data)) throw new InputError(`dataframe_split.data must be a list of rows, got ${describe(data)}`);
  return batchFromRows(data, width, "dataframe_split.data");
}

/** Records carry named columns: every record must name the same `width` columns; values go in the first record's order. */
function recordRows(value: unknown, width: number): Batch {
  if (!Array.isArray(value)) throw new InputError(`dataframe_records must be a list of records, got ${describe(value)}`);
  checkRowCount(value.length);
  let columns: string[] = [];
  const x = new Float32Array(value.length * width);
  for (let r = 0; r < value.length; r++) {
    const rec = value[r] as unknown;
    if (rec === null || typeof rec !== "object" || Array.isArray(rec))
      throw new InputError(`dataframe_records[${r}] must be an object of column: value, got ${describe(rec)}`);
    if (r === 0) columns = Object.keys(rec);
    if (columns.length !== width)
      throw new InputError(`dataframe_records[0] has ${columns.length} columns; the model takes ${width}`);
    const n = Object.keys(rec).length;
    for (let c = 0; c < width; c++) {
      const col = columns[c]!;
      if (!(col in rec)) throw new InputError(`dataframe_records[${r}] has no column ${JSON.stringify(col)}`);
      x[r * width + c] = toFloat((rec as Record<string, unknown>)[col], `dataframe_records[${r}].${col}`);
    }
    if (n !== width) throw new InputError(`dataframe_records[${r}] has ${n} columns; the model takes ${width}`);
  }
  return { x, rows: value.length };
}

/**
 * `text/csv`: one row per line, comma-separated numbers; a first line that is not all numbers
 * is a header (pandas' `read_csv` default) and is skipped. Blank lines are ignored.
 */
export function parseMlflowCsv(text: string, width: number): Batch {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length > 0 && lines[0]!.split(",").some((cell) => cell.trim() === "" || !Number.isFinite(Number(cell))))
    lines.shift();
  checkRowCount(lines.length);
  const x = new Float32Array(lines.length * width);
  for (let r = 0; r < lines.length; r++) {
    const cells = lines[r]!.split(",");
    if (cells.length !== width) throw new InputError(`CSV row ${r + 1} has ${cells.length} values; the model takes ${width}`);
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!.trim();
      const v = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(v))
        throw new InputError(`CSV row ${r + 1}, column ${c + 1} is not a number: ${JSON.stringify(cell.slice(0, 20))}`);
      x[r * width + c] = v;
    }
  }
  return { x, rows: lines.length };
}

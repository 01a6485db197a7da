/** One request's rows, row-major, ready for the model. */
export interface Batch {
  x: Float32Array;
  rows: number;
}

/** Rows one request may carry: a 10,000 × 64 float batch is 2.5 MB, well inside the 10 MB body cap. */
export const MAX_ROWS = 10_000;

/** The caller's input is wrong: a 4xx in the protocol's own error shape, with this message. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function checkRowCount(rows: number): void {
  if (rows === 0) throw new InputError("the request has no rows");
  if (rows > MAX_ROWS) throw new InputError(`the request has ${rows} rows; at most ${MAX_ROWS} are accepted per request`);
}

/** A finite number, or a precise error naming where it sits. */
export function toFloat(v: unknown, where: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "number") throw new InputError(`${where} is not a finite number`);
  throw new InputError(`${where} must be a number, got ${describe(v)}`);
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return `a ${typeof v}`;
}

/** Rows given as arrays of numbers, each exactly `width` long. */
export function batchFromRows(rows: unknown[], width: number, what: string): Batch {
  checkRowCount(rows.length);
  const x = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row)) throw new InputError(`${what}[${r}] must be an array of ${width} numbers, got ${describe(row)}`);
    if (row.length !== width) throw new InputError(`${what}[${r}] has ${row.length} values; the model takes ${width}`);
    for (let c = 0; c < width; c++) x[r * width + c] = toFloat(row[c], `${what}[${r}][${c}]`);
  }
  return { x, rows: rows.length };
}

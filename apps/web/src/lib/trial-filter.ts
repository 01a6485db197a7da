/** An inclusive interval; a missing end is open. */
export interface TRange {
  min?: number;
  max?: number;
}

/** The trial table's filter, as the API's trial.list applies it. */
export interface TrialFilter {
  paramEquals: Record<string, string | number | boolean>;
  paramRanges: Record<string, TRange>;
  /** The trial's value (write it `value`), or null. */
  value: TRange | null;
}

export type ParsedFilter = { ok: true; filter: TrialFilter | null } | { ok: false; error: string };

const NAME = String.raw`[A-Za-z_][\w.-]*`;
const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const IN_RE = new RegExp(String.raw`^(${NAME})\s+in\s+\[\s*(${NUM})?\s*,\s*(${NUM})?\s*\]$`, "i");
const CMP_RE = new RegExp(String.raw`^(${NAME})\s*(>=|<=|==|=|>|<|!=)\s*(.+)$`);
const SPACE_BEFORE_CLAUSE = new RegExp(String.raw`\s+(?=${NAME}\s*(?:>=|<=|==|!=|=|>|<))`);
const HELP = "write name = value, name in [low, high], name >= low or name <= high (value is the trial's value)";

/** Clauses split at `;`, ` and `, and commas outside brackets: `lr in [0.001, 0.01], layers = 3`. */
function clausesOf(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "[") depth++;
    if (ch === "]") depth = Math.max(0, depth - 1);
    if ((ch === "," || ch === ";") && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return (
    out
      .flatMap((c) => c.split(/\s+and\s+/i))
      // `act=relu layers=3`: whitespace before another `name op` starts a clause too.
      .flatMap((c) => c.split(SPACE_BEFORE_CLAUSE))
      .map((c) => c.trim())
      .filter(Boolean)
  );
}

function literalOf(raw: string): string | number | boolean {
  const v = raw.trim();
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(v);
  if (quoted) return quoted[1] ?? quoted[2] ?? "";
  if (v === "true" || v === "false") return v === "true";
  return new RegExp(`^${NUM}$`).test(v) ? Number(v) : v;
}

function addRange(f: TrialFilter, name: string, r: TRange): void {
  const target = name === "value" ? (f.value ??= {}) : (f.paramRanges[name] ??= {});
  if (r.min !== undefined) target.min = Math.max(target.min ?? -Infinity, r.min);
  if (r.max !== undefined) target.max = Math.min(target.max ?? Infinity, r.max);
}

/** One clause into `f`; an error sentence when it cannot be read. */
function addClause(f: TrialFilter, clause: string): string | null {
  const inRange = IN_RE.exec(clause);
  if (inRange) {
    const [, name, lo, hi] = inRange;
    if (lo === undefined && hi === undefined) return `"${clause}": give at least one bound`;
    addRange(f, name!, { ...(lo !== undefined ? { min: Number(lo) } : {}), ...(hi !== undefined ? { max: Number(hi) } : {}) });
    return null;
  }
  const cmp = CMP_RE.exec(clause);
  if (!cmp) return `cannot read "${clause}": ${HELP}`;
  const [, name, op, raw] = cmp as unknown as [string, string, string, string];
  if (op === "!=") return `"${clause}": != is not supported; ${HELP}`;
  if (op === ">" || op === "<") return `"${clause}": bounds are inclusive, write ${op}=`;
  const v = literalOf(raw);
  if (op === "=" || op === "==") {
    if (name === "value") {
      if (typeof v !== "number") return `"${clause}": the value is a number`;
      addRange(f, name, { min: v, max: v });
    } else f.paramEquals[name] = v;
    return null;
  }
  if (typeof v !== "number") return `"${clause}": a bound must be a number`;
  addRange(f, name, op === ">=" ? { min: v } : { max: v });
  return null;
}

/** `lr in [0.001, 0.01], layers = 3, value <= 0.5` → the API's filter; null for an empty text. */
export function parseTrialFilter(text: string): ParsedFilter {
  const clauses = clausesOf(text);
  if (clauses.length === 0) return { ok: true, filter: null };
  const f: TrialFilter = { paramEquals: {}, paramRanges: {}, value: null };
  for (const c of clauses) {
    const error = addClause(f, c);
    if (error) return { ok: false, error };
  }
  for (const [name, r] of [...Object.entries(f.paramRanges), ...(f.value ? [["value", f.value] as const] : [])]) {
    if (r.min !== undefined && r.max !== undefined && r.min > r.max)
      return { ok: false, error: `${name}: no number is in [${r.min}, ${r.max}]` };
  }
  return { ok: true, filter: f };
}

function inRange(v: unknown, r: TRange): boolean {
  return typeof v === "number" && (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
}

/** What the server's filter keeps, for rows filtered in the browser (the parallel plot's brushed trials). */
export function matchesTrialFilter(
  t: { params: Readonly<Record<string, unknown>>; value: number | null },
  f: TrialFilter,
): boolean {
  return (
    Object.entries(f.paramEquals).every(([k, v]) => t.params[k] === v) &&
    Object.entries(f.paramRanges).every(([k, r]) => inRange(t.params[k], r)) &&
    (f.value === null || inRange(t.value, f.value))
  );
}

/** The filter as trial.list's input fields. */
export function trialListFilterInput(f: TrialFilter | null) {
  if (!f) return {};
  return {
    ...(Object.keys(f.paramEquals).length ? { paramFilter: f.paramEquals } : {}),
    ...(Object.keys(f.paramRanges).length ? { paramRanges: f.paramRanges } : {}),
    ...(f.value ? { valueRange: f.value } : {}),
  };
}

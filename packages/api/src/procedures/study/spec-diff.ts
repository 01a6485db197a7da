import type { TStudySpec } from "@autoglm/protocol";
import { SECRET_MASK } from "../../secrets.js";

/**
 * How a study spec from a file differs from the stored one, field by field, in words:
 * `space.lr.high: 0.1 → 0.5`. `identity` holds the differences that make it another study
 * (the space and the objective: trials evaluated under one are not evidence under the other);
 * `other` the ones study.applySpec leaves as stored (budget, sampler, pruner, run, description).
 */
export interface TSpecDifferences {
  identity: string[];
  other: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function show(v: Json | undefined): string {
  return v === undefined ? "(unset)" : JSON.stringify(v);
}

/** A param with its defaults made explicit, so `log: false` and no `log` compare equal. */
function normalizeParam(p: unknown): Json {
  const o = { ...(p as Record<string, Json>) };
  if (o.type !== "categorical" && o.log === undefined) o.log = false;
  return o;
}

/** Leaves of a JSON value as `path → value`; arrays are leaves (choices compare whole). */
function flatten(value: Json | undefined, prefix: string, out: Map<string, Json>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
    return;
  }
  if (value !== undefined) out.set(prefix, value);
}

function compareTrees(stored: Json | undefined, given: Json | undefined, prefix: string): string[] {
  const a = new Map<string, Json>();
  const b = new Map<string, Json>();
  flatten(stored, prefix, a);
  flatten(given, prefix, b);
  const out: string[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(path);
    const y = b.get(path);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    // run.env values are write-only: say that one changed, never what it was or becomes.
    const secret = path.startsWith("run.env.");
    const shown = (v: Json | undefined) => (secret && v !== undefined ? SECRET_MASK : show(v));
    out.push(`${path}: ${shown(x)} → ${shown(y)}`);
  }
  return out;
}

export function specDifferences(stored: TStudySpec, given: TStudySpec): TSpecDifferences {
  const identity: string[] = [];
  const names = [...new Set([...Object.keys(stored.space), ...Object.keys(given.space)])].sort();
  for (const name of names) {
    const s = stored.space[name];
    const g = given.space[name];
    if (!g) identity.push(`space.${name}: only in the stored study`);
    else if (!s) identity.push(`space.${name}: only in the file`);
    else identity.push(...compareTrees(normalizeParam(s), normalizeParam(g), `space.${name}`));
  }
  identity.push(...compareTrees(stored.objective as Json, given.objective as Json, "objective"));
  identity.push(...compareTrees(stored.objectives as Json, given.objectives as Json, "objectives"));
  identity.push(...compareTrees(stored.constraints as Json, given.constraints as Json, "constraints"));
  const other: string[] = [];
  for (const key of ["description", "sampler", "pruner", "budget", "run"] as const) {
    other.push(...compareTrees(stored[key] as Json | undefined, given[key] as Json | undefined, key));
  }
  return { identity, other };
}

import { OptimizerError } from "./errors.js";
import type { Rng } from "./rng.js";

export type TParamValue = number | string | boolean;
/** `{ parent: value | value[] }`: the parameter is active only when every listed parent is active and takes one of the values. */
export type TWhen = Record<string, TParamValue | readonly TParamValue[]>;

export interface TFloatParam {
  type: "float";
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  when?: TWhen;
}
export interface TIntParam {
  type: "int";
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  when?: TWhen;
}
export interface TCategoricalParam {
  type: "categorical";
  choices: readonly TParamValue[];
  when?: TWhen;
}
export type TParamSpec = TFloatParam | TIntParam | TCategoricalParam;
export type TSpace = Record<string, TParamSpec>;
export type TParams = Record<string, TParamValue>;
export type Space = TSpace;
export type ParamSpec = TParamSpec;

/** A compiled parameter. Numeric ones map to the unit interval through `toUnit`/`fromUnit`. */
export interface Dim {
  name: string;
  type: "float" | "int" | "categorical";
  low: number;
  high: number;
  log: boolean;
  /** Grid step for discrete numeric params (ints always have one), else null. */
  step: number | null;
  /** Number of distinct values for discrete params (categorical or stepped), else Infinity. */
  size: number;
  choices: TParamValue[];
  /** Bounds of the transformed (log) coordinate, widened by half a step for discrete params so every value has equal mass. */
  tlo: number;
  thi: number;
  conditions: Array<{ parent: string; values: TParamValue[] }>;
}

export interface CompiledSpace {
  /** Parents before children; otherwise declaration order. */
  dims: Dim[];
  byName: Map<string, Dim>;
  isConditional: boolean;
  nCategorical: number;
  /** Product of discrete sizes (Infinity when any param is continuous). */
  cardinality: number;
}

const fail = (msg: string): never => {
  throw new OptimizerError("INVALID_SPACE", msg);
};

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function gridCount(low: number, high: number, step: number): number {
  // Tolerate float noise such as (1 - 0.1) / 0.1 = 8.999999999999998.
  return Math.floor((high - low) / step + 1e-9) + 1;
}

/** Throws OptimizerError("INVALID_SPACE") naming the parameter, e.g. `space.lr: low must be > 0 when log is true`. */
export function validateSpace(space: unknown): asserts space is TSpace {
  compileSpace(space);
}

export function compileSpace(space: unknown): CompiledSpace {
  if (!isPlainObject(space)) fail("space: must be an object mapping parameter names to specs");
  const entries = Object.entries(space as Record<string, unknown>);
  if (entries.length === 0) fail("space: must define at least one parameter");
  const dims: Dim[] = [];
  const byName = new Map<string, Dim>();
  for (const [name, raw] of entries) {
    const at = `space.${name}`;
    if (name.length === 0) fail("space: parameter names must be non-empty");
    if (!isPlainObject(raw)) fail(`${at}: must be an object with a type`);
    const spec = raw as Record<string, unknown>;
    const type = spec.type;
    let dim: Dim;
    if (type === "float" || type === "int") {
      const { low, high } = spec;
      if (typeof low !== "number" || !Number.isFinite(low)) fail(`${at}: low must be a finite number`);
      if (typeof high !== "number" || !Number.isFinite(high)) fail(`${at}: high must be a finite number`);
      const lo = low as number;
      const hi = high as number;
      if (spec.log !== undefined && typeof spec.log !== "boolean") fail(`${at}: log must be a boolean`);
      const log = spec.log === true;
      if (
        spec.step !== undefined &&
        spec.step !== null &&
        (typeof spec.step !== "number" || !Number.isFinite(spec.step) || spec.step <= 0)
      )
        fail(`${at}: step must be a positive finite number`);
      let step = typeof spec.step === "number" ? spec.step : null;
      if (type === "int") {
        if (!Number.isInteger(lo)) fail(`${at}: low must be an integer for an int parameter`);
        if (!Number.isInteger(hi)) fail(`${at}: high must be an integer for an int parameter`);
        if (step !== null && !Number.isInteger(step)) fail(`${at}: step must be an integer for an int parameter`);
        if (log && step !== null && step !== 1) fail(`${at}: step must be 1 (or absent) when log is true`);
        step = step ?? 1;
      } else if (log && step !== null) fail(`${at}: step cannot be combined with log`);
      if (lo > hi) fail(`${at}: low (${lo}) must be <= high (${hi})`);
      if (log && lo <= 0) fail(`${at}: low must be > 0 when log is true`);
      if (type === "float" && lo === hi)
        fail(`${at}: low equals high (${lo}); use a categorical with one choice for a fixed value`);
      let size = Infinity;
      let tlo: number;
      let thi: number;
      if (step !== null) {
        size = gridCount(lo, hi, step);
        const top = lo + (size - 1) * step;
        if (Math.abs(top - hi) > 1e-9 * Math.max(1, Math.abs(hi)))
          fail(`${at}: high - low (${hi - lo}) must be a multiple of step (${step})`);
        if (log) {
          tlo = Math.log(lo - 0.5 * step > 0 ? lo - 0.5 * step : lo * 0.5);
          thi = Math.log(hi + 0.5 * step);
        } else {
          tlo = lo - 0.5 * step;
          thi = hi + 0.5 * step;
        }
      } else {
        tlo = log ? Math.log(lo) : lo;
        thi = log ? Math.log(hi) : hi;
      }
      dim = { name, type, low: lo, high: hi, log, step, size, choices: [], tlo, thi, conditions: [] };
    } else if (type === "categorical") {
      const choices = spec.choices;
      if (!Array.isArray(choices)) fail(`${at}: choices must be an array`);
      const cs = choices as unknown[];
      if (cs.length === 0) fail(`${at}: choices must not be empty`);
      const seen = new Set<unknown>();
      for (const c of cs) {
        if (!(typeof c === "string" || typeof c === "boolean" || (typeof c === "number" && Number.isFinite(c))))
          fail(`${at}: choices must be strings, finite numbers or booleans (got ${JSON.stringify(c)})`);
        if (seen.has(c)) fail(`${at}: duplicate choice ${JSON.stringify(c)}`);
        seen.add(c);
      }
      dim = {
        name,
        type,
        low: 0,
        high: cs.length - 1,
        log: false,
        step: 1,
        size: cs.length,
        choices: [...(cs as TParamValue[])],
        tlo: -0.5,
        thi: cs.length - 0.5,
        conditions: [],
      };
    } else {
      return fail(`${at}: type must be "float", "int" or "categorical" (got ${JSON.stringify(type)})`);
    }
    const known = new Set(["type", "low", "high", "log", "step", "choices", "when"]);
    for (const k of Object.keys(spec)) if (!known.has(k)) fail(`${at}: unknown field "${k}"`);
    if (
      type === "categorical" &&
      (spec.low !== undefined || spec.high !== undefined || spec.step !== undefined || spec.log !== undefined)
    )
      fail(`${at}: a categorical parameter takes choices, not low/high/step/log`);
    dims.push(dim);
    byName.set(name, dim);
  }
  // Conditions, checked once every name is known.
  for (const [name, raw] of entries) {
    const when = (raw as Record<string, unknown>).when;
    if (when === undefined) continue;
    const at = `space.${name}.when`;
    if (!isPlainObject(when) || Object.keys(when).length === 0)
      fail(`${at}: must be a non-empty object { parent: value | value[] }`);
    const dim = byName.get(name)!;
    for (const [parent, v] of Object.entries(when as Record<string, unknown>)) {
      const p = byName.get(parent);
      if (p === undefined) fail(`${at}: refers to unknown parameter "${parent}"`);
      if (parent === name) fail(`${at}: a parameter cannot depend on itself`);
      const pd = p as Dim;
      if (pd.type === "float") fail(`${at}: parent "${parent}" must be categorical or int, not float`);
      const values = Array.isArray(v) ? (v as unknown[]) : [v];
      if (values.length === 0) fail(`${at}.${parent}: must list at least one value`);
      for (const x of values) {
        const ok =
          pd.type === "categorical"
            ? pd.choices.includes(x as TParamValue)
            : typeof x === "number" && Number.isInteger(x) && x >= pd.low && x <= pd.high && (x - pd.low) % (pd.step ?? 1) === 0;
        if (!ok) fail(`${at}.${parent}: ${JSON.stringify(x)} is not a possible value of "${parent}"`);
      }
      dim.conditions.push({ parent, values: values as TParamValue[] });
    }
  }
  // Topological order (parents first), rejecting cycles.
  const order: Dim[] = [];
  const mark = new Map<string, 1 | 2>();
  const visit = (d: Dim, path: string[]): void => {
    const m = mark.get(d.name);
    if (m === 2) return;
    if (m === 1) fail(`space.${d.name}.when: circular condition (${[...path, d.name].join(" -> ")})`);
    mark.set(d.name, 1);
    for (const c of d.conditions) visit(byName.get(c.parent)!, [...path, d.name]);
    mark.set(d.name, 2);
    order.push(d);
  };
  for (const d of dims) visit(d, []);
  let cardinality = 1;
  for (const d of order) cardinality *= d.size;
  return {
    dims: order,
    byName,
    isConditional: order.some((d) => d.conditions.length > 0),
    nCategorical: order.filter((d) => d.type === "categorical").length,
    cardinality,
  };
}

export function isActive(dim: Dim, params: TParams): boolean {
  for (const c of dim.conditions) {
    if (!(c.parent in params)) return false;
    if (!c.values.includes(params[c.parent]!)) return false;
  }
  return true;
}

/** Numeric value -> unit interval (categoricals: index -> (i + 0.5) / k). */
export function toUnit(dim: Dim, value: TParamValue): number {
  if (dim.type === "categorical") return (dim.choices.indexOf(value) + 0.5) / dim.size;
  const v = value as number;
  const t = dim.log ? Math.log(v) : v;
  return Math.min(1, Math.max(0, (t - dim.tlo) / (dim.thi - dim.tlo)));
}

/** Unit interval -> a legal value (rounded to the step / int / choice). */
export function fromUnit(dim: Dim, u: number): TParamValue {
  const uu = Math.min(1, Math.max(0, u));
  if (dim.type === "categorical") return dim.choices[Math.min(dim.size - 1, Math.floor(uu * dim.size))]!;
  const t = dim.tlo + uu * (dim.thi - dim.tlo);
  const v = dim.log ? Math.exp(t) : t;
  return snap(dim, v);
}

/** Rounds a raw numeric value to the nearest legal one. */
export function snap(dim: Dim, v: number): number {
  if (dim.step === null) return Math.min(dim.high, Math.max(dim.low, v));
  const k = Math.min(dim.size - 1, Math.max(0, Math.round((v - dim.low) / dim.step)));
  const x = dim.low + k * dim.step;
  // Keep stepped floats free of binary noise (0.1 * 3 = 0.30000000000000004).
  return dim.type === "int" ? Math.round(x) : Number(x.toPrecision(12));
}

/** The k-th legal value of a discrete numeric dim. */
export function gridValue(dim: Dim, k: number): TParamValue {
  if (dim.type === "categorical") return dim.choices[k]!;
  return snap(dim, dim.low + k * dim.step!);
}

export function sampleDim(dim: Dim, rng: Rng): TParamValue {
  if (dim.type === "categorical") return dim.choices[rng.int(dim.size)]!;
  return fromUnit(dim, rng.random());
}

/** Drops inactive params and fills missing active ones by `fill` (in parent-first order). */
export function completeParams(space: CompiledSpace, fill: (dim: Dim, partial: TParams) => TParamValue): TParams {
  const out: TParams = {};
  for (const d of space.dims) if (isActive(d, out)) out[d.name] = fill(d, out);
  return out;
}

export function sampleRandom(space: CompiledSpace, rng: Rng): TParams {
  return completeParams(space, (d) => sampleDim(d, rng));
}

/** Checks a params object against the space (history loaded from a database must fit). */
export function checkParams(space: CompiledSpace, params: unknown, at: string): TParams {
  const bad = (msg: string): never => {
    throw new OptimizerError("INVALID_PARAMS", `${at}: ${msg}`);
  };
  if (!isPlainObject(params)) bad("params must be an object");
  const p = params as Record<string, unknown>;
  for (const k of Object.keys(p)) if (!space.byName.has(k)) bad(`unknown parameter "${k}"`);
  const out: TParams = {};
  for (const d of space.dims) {
    const active = isActive(d, out);
    const v = p[d.name];
    if (!active) {
      if (v !== undefined) bad(`parameter "${d.name}" is inactive under its when-condition but has a value`);
      continue;
    }
    if (v === undefined) bad(`missing parameter "${d.name}"`);
    if (d.type === "categorical") {
      if (!d.choices.includes(v as TParamValue)) bad(`${d.name}=${JSON.stringify(v)} is not one of the choices`);
    } else {
      if (typeof v !== "number" || !Number.isFinite(v)) bad(`${d.name} must be a finite number`);
      const x = v as number;
      if (x < d.low || x > d.high) bad(`${d.name}=${x} is outside [${d.low}, ${d.high}]`);
      if (d.type === "int" && !Number.isInteger(x)) bad(`${d.name}=${x} must be an integer`);
    }
    out[d.name] = v as TParamValue;
  }
  return out;
}

/**
 * A checker for params given from outside the optimizer (an enqueued point, a warm start's
 * source trials): the space is compiled once, then each call costs one `checkParams`.
 * Throws OptimizerError("INVALID_PARAMS") naming the parameter.
 */
export function paramsChecker(space: TSpace): (params: unknown, at: string) => TParams {
  const compiled = compileSpace(space);
  return (params, at) => checkParams(compiled, params, at);
}

export function paramsKey(params: TParams): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

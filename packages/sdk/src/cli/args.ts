// Argument parsers for Commander: a bad value is a usage error (exit 2).
import { InvalidArgumentError } from "commander";
import { parseDuration, parseFailIf, type TFailIf } from "../study-wait.js";

/** How a `<study>` argument may be given (resolved by `client.studies.resolveId`). */
export const STUDY_ARGUMENT = "the study's id, an id prefix, its name (the newest of that name) or PROJECT/NAME";

/** How a `<trial>` argument may be given (resolved by `client.trials.resolveId`). */
export const TRIAL_ARGUMENT = "the trial's id, or STUDY#NUMBER (e.g. my-study#12)";

export function parseFinite(raw: string): number {
  const trimmed = raw.trim();
  const n = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`"${raw}" is not a finite number.`);
  return n;
}

/** `--params`: a JSON object of names to strings, numbers or booleans (the server checks the study's space). */
export function parseParamsJson(raw: string): Record<string, string | number | boolean> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON (${(err as Error).message}).`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidArgumentError("must be a JSON object of params.");
  for (const [k, x] of Object.entries(v)) {
    if (!["string", "number", "boolean"].includes(typeof x))
      throw new InvalidArgumentError(`"${k}" must be a string, number or boolean.`);
  }
  return v as Record<string, string | number | boolean>;
}

export function parseStep(raw: string): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`"${raw}" is not a whole number ≥ 0.`);
  }
  return n;
}

export function parseWait(raw: string): number {
  const n = Number(raw.trim());
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`"${raw}" is not a number of seconds ≥ 0.`);
  return n;
}

export function parseCliDuration(raw: string, flag: string): number {
  try {
    return parseDuration(raw);
  } catch {
    throw new InvalidArgumentError(`"${raw}" is not a duration for ${flag}; use e.g. 90s, 30m, 2h or 1h30m.`);
  }
}

export function parseCliFailIf(raw: string): TFailIf {
  try {
    return parseFailIf(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--fail-if /, ""));
  }
}

/** `--values 0.31,12.5`: one finite number per objective, comma-separated. */
export function parseFiniteList(raw: string): number[] {
  const parts = raw.split(",");
  return parts.map((p) => {
    const t = p.trim();
    const n = Number(t);
    if (t === "" || !Number.isFinite(n))
      throw new InvalidArgumentError(`"${raw}" is not a comma-separated list of finite numbers.`);
    return n;
  });
}

/** `--metric memory_gb=12` (repeatable): collects name=value pairs into one object. */
export function collectMetric(raw: string, into: Record<string, number> = {}): Record<string, number> {
  const eq = raw.indexOf("=");
  const name = eq > 0 ? raw.slice(0, eq).trim() : "";
  const value = eq > 0 ? Number(raw.slice(eq + 1).trim()) : NaN;
  if (!name || raw.slice(eq + 1).trim() === "" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`"${raw}" is not name=value with a finite number, e.g. memory_gb=12.`);
  }
  return { ...into, [name]: value };
}

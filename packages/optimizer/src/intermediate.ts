import { OptimizerError } from "./errors.js";

function badValue(msg: string): never {
  throw new OptimizerError("INVALID_VALUE", msg);
}

/**
 * A history's intermediate values as [step, minimize-oriented value] ascending by step
 * (`signs`: the study's direction per objective).
 */
export function checkIntermediate(raw: unknown, signs: ReadonlyArray<1 | -1>, at: string): Array<[number, number]> {
  let intermediate: Array<[number, number]> = [];
  if (raw === undefined) return intermediate;
  if (!Array.isArray(raw)) badValue(`${at}: intermediate must be an array of [step, value]`);
  if (raw.length > 0 && signs.length > 1) badValue(`${at}: intermediate values need a single-objective study`);
  // Histories come from the database in step order: keep that order when it holds (no
  // map and sort per trial when a server rebuilds a study of 100,000 values); a repeated
  // or out-of-order step falls back to "the last value given for a step wins".
  let ordered = true;
  for (const pair of raw as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) badValue(`${at}: intermediate entries must be [step, value]`);
    const [s, x] = pair as unknown[];
    if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0)
      badValue(`${at}: intermediate step must be a non-negative integer (got ${String(s)})`);
    if (typeof x !== "number" || !Number.isFinite(x)) badValue(`${at}: intermediate value at step ${s} must be a finite number`);
    if (intermediate.length > 0 && s <= intermediate[intermediate.length - 1]![0]) ordered = false;
    intermediate.push([s, x * signs[0]!]);
  }
  if (!ordered) intermediate = [...new Map(intermediate).entries()].sort((a, b) => a[0] - b[0]);
  return intermediate;
}

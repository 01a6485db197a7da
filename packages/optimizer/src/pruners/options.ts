import type { TPrunerConfig } from "../config.js";
import { OptimizerError } from "../errors.js";

/** A pruner's config as it arrives (from YAML or storage): its declared options, maybe others. */
export type TRawPrunerConfig<N extends TPrunerConfig["name"] = TPrunerConfig["name"]> = Extract<TPrunerConfig, { name: N }> &
  Record<string, unknown>;

export const bad = (msg: string): never => {
  throw new OptimizerError("INVALID_CONFIG", msg);
};

export function optInt(cfg: Record<string, unknown>, key: string, def: number, min: number): number {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) bad(`pruner.${key}: must be an integer >= ${min}`);
  return v as number;
}

export function optNum(cfg: Record<string, unknown>, key: string, def: number | undefined, min = -Infinity): number | undefined {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) bad(`pruner.${key}: must be a finite number >= ${min}`);
  return v as number;
}

export function optBool(cfg: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = cfg[key];
  if (v === undefined) return def;
  if (typeof v !== "boolean") bad(`pruner.${key}: must be a boolean`);
  return v as boolean;
}

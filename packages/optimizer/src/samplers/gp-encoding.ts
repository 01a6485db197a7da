import { fromUnit, isActive, snap, toUnit, type CompiledSpace, type TParams } from "../space.js";

/** Encodes params as GP inputs; inactive numeric dims sit at 0.5, inactive categoricals at -1. */
export function encode(space: CompiledSpace, params: TParams, out: Float64Array, offset = 0): void {
  space.dims.forEach((d, j) => {
    const v = params[d.name];
    if (d.type === "categorical") out[offset + j] = v === undefined ? -1 : d.choices.indexOf(v);
    else out[offset + j] = v === undefined ? 0.5 : toUnit(d, v);
  });
}

/** Params from GP inputs: categoricals round to a choice, dims whose condition fails are left out. */
export function decode(space: CompiledSpace, z: Float64Array): TParams {
  const out: TParams = {};
  space.dims.forEach((d, j) => {
    if (!isActive(d, out)) return;
    out[d.name] = d.type === "categorical" ? d.choices[Math.max(0, Math.round(z[j]!))]! : fromUnit(d, z[j]!);
  });
  return out;
}

/** Rounds discrete numeric coordinates to their bin centres and marks inactive dims, in place. */
export function canonicalize(space: CompiledSpace, z: Float64Array): void {
  const params = decode(space, z);
  space.dims.forEach((d, j) => {
    if (!(d.name in params)) z[j] = d.type === "categorical" ? -1 : 0.5;
    else if (d.type !== "categorical" && d.step !== null) z[j] = toUnit(d, snap(d, fromUnit(d, z[j]!) as number));
  });
}

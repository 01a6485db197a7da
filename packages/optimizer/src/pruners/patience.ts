import type { PruneContext, Pruner } from "../trial.js";
import { show } from "./curve.js";
import { bad, optNum, type TRawPrunerConfig } from "./options.js";

/** Prune after `patience` reported steps without an improvement larger than minDelta (optionally only if `wrapped` agrees). */
export class PatiencePruner implements Pruner {
  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
    private readonly wrapped: Pruner | null,
  ) {}
  fitsModel(): boolean {
    return this.wrapped?.fitsModel?.() ?? false;
  }
  decide(ctx: PruneContext): string | null {
    const vals = ctx.trial.intermediate.filter(([s]) => s <= ctx.step).map(([, v]) => v);
    if (vals.length <= this.patience) return null;
    // Best before the last `patience` reports vs best within them: no gain > minDelta -> stale.
    const before = Math.min(...vals.slice(0, vals.length - this.patience));
    const after = this.patience === 0 ? vals[vals.length - 1]! : Math.min(...vals.slice(vals.length - this.patience));
    if (before - after > this.minDelta) return null;
    const stale = `no improvement larger than ${this.minDelta} in its last ${this.patience} reports (best ${show(before, ctx.sign)} before them, ${show(after, ctx.sign)} in them)`;
    if (this.wrapped === null) return stale;
    const why = this.wrapped.decide(ctx);
    return why === null ? null : `${stale}, and ${why}`;
  }
}

/** `createWrapped` builds the optional inner pruner (passed in: it is the factory of every pruner). */
export function createPatiencePruner(
  cfg: TRawPrunerConfig<"patience">,
  at: string,
  createWrapped: (config: unknown, at: string) => Pruner,
): PatiencePruner {
  if (typeof cfg.patience !== "number" || !Number.isInteger(cfg.patience) || cfg.patience < 0)
    bad(`${at}.patience: must be an integer >= 0`);
  const wrapped = cfg.wrapped === undefined ? null : createWrapped(cfg.wrapped, `${at}.wrapped`);
  return new PatiencePruner(cfg.patience, optNum(cfg, "minDelta", 0, 0)!, wrapped);
}

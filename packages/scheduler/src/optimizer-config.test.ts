import { describe, expect, it } from "vitest";
import { createOptimizer } from "@autoglm/optimizer";
import { parseStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import { optimizerConfigOf } from "./optimizer-config.js";

function configOf(partial: Partial<TStudySpecInput>) {
  const parsed = parseStudySpec({
    name: "s",
    objective: { metric: "loss", direction: "maximize" },
    space: { x: { type: "float", low: 0, high: 1 } },
    ...partial,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return optimizerConfigOf(parsed.spec);
}

describe("optimizerConfigOf", () => {
  it("maps the spec's snake_case options to the optimizer's names, either spelling, and seeds an unseeded study with 0", () => {
    const c = configOf({
      sampler: { name: "tpe", n_startup_trials: 3, constantLiar: false, multivariate: true },
      pruner: { name: "patience", patience: 2, min_delta: 0.5, wrapped: { name: "median", n_warmup_steps: 4 } },
    });
    expect(c).toMatchObject({
      direction: "maximize",
      sampler: { name: "tpe", seed: 0, nStartupTrials: 3, constantLiar: false, multivariate: true },
      pruner: { name: "patience", patience: 2, minDelta: 0.5, wrapped: { name: "median", nWarmupSteps: 4 } },
    });
    expect(configOf({ pruner: { name: "asha", min_resource: "auto", reduction_factor: 2 } }).pruner).toMatchObject({
      name: "asha",
      minResource: "auto",
      reductionFactor: 2,
    });
    expect(() => createOptimizer(c)).not.toThrow();
  });

  it("refuses an option the sampler or pruner does not have, or of the wrong type, by the name the user wrote", () => {
    expect(() => configOf({ sampler: { name: "random", grid_size: 5 } })).toThrow(
      "sampler.grid_size: not an option of the random sampler",
    );
    expect(() => configOf({ sampler: { name: "gp", max_points: "many" } })).toThrow("sampler.max_points: must be a number");
    expect(() => configOf({ pruner: { name: "patience", patience: 1, wrapped: { name: "median", n_startup: 1 } } })).toThrow(
      "pruner.wrapped.n_startup: not an option of the median pruner",
    );
    expect(() => configOf({ sampler: { name: "cmaes", restart_strategy: "bipop" } })).toThrow(
      "sampler.restart_strategy: must be one of ipop, none",
    );
    expect(() => configOf({ pruner: { name: "percentile" } })).toThrow("pruner.percentile: is required");
  });
});

import { describe, expect, it } from "vitest";
import { createOptimizer, type Optimizer } from "./index.js";
import { Rng } from "./rng.js";

describe("importance (fANOVA on a random forest)", () => {
  it("finds the one parameter that matters and sums to 1", () => {
    const space = {
      a: { type: "float", low: 0, high: 1 },
      b: { type: "float", low: 0, high: 1 },
      c: { type: "int", low: 0, high: 10 },
      d: { type: "categorical", choices: ["x", "y", "z"] },
    } as const;
    const opt = createOptimizer({ space, sampler: { name: "random", seed: 11 } });
    for (let i = 0; i < 120; i++) {
      const t = opt.ask();
      opt.tell(t.id, Math.sin(6 * (t.params.b as number)) * 5 + 0.01 * (t.params.c as number));
    }
    const imp = opt.importance();
    expect(Object.values(imp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(imp.b).toBeGreaterThan(0.8);
    for (const k of ["a", "c", "d"]) expect(imp[k]).toBeLessThan(0.1);
  });

  it("ranks two relevant parameters by their effect and is deterministic", () => {
    const space = {
      big: { type: "float", low: -1, high: 1 },
      small: { type: "float", low: -1, high: 1 },
      none: { type: "float", low: -1, high: 1 },
    } as const;
    const make = (): Record<string, number> => {
      const opt = createOptimizer({ space, sampler: { name: "random", seed: 4 } });
      for (let i = 0; i < 80; i++) {
        const t = opt.ask();
        opt.tell(t.id, 4 * (t.params.big as number) ** 2 + (t.params.small as number) ** 2);
      }
      return opt.importance();
    };
    const imp = make();
    expect(imp.big).toBeGreaterThan(imp.small!);
    expect(imp.small).toBeGreaterThan(imp.none!);
    expect(make()).toEqual(imp);
  });

  it("returns equal shares without enough data", () => {
    const opt = createOptimizer({
      space: { a: { type: "float", low: 0, high: 1 }, b: { type: "float", low: 0, high: 1 } },
      sampler: { name: "random", seed: 1 },
    });
    expect(opt.importance()).toEqual({ a: 0.5, b: 0.5 });
  });
});

// A fixed two-objective dataset: objective 0 depends mostly on a, then b, d, c; objective 1 on
// c, then d; e is noise in both. It is generated here and was fed to Optuna as is.
const mixedSpace = {
  a: { type: "float", low: 0, high: 1 },
  b: { type: "float", low: 1e-3, high: 1, log: true },
  c: { type: "int", low: 0, high: 10 },
  d: { type: "categorical", choices: ["x", "y", "z"] },
  e: { type: "float", low: 0, high: 1 },
} as const;

function fixedStudy(): Optimizer {
  const rng = new Rng(2023);
  const opt = createOptimizer({ space: mixedSpace, direction: ["minimize", "minimize"], sampler: { name: "random", seed: 1 } });
  for (let id = 0; id < 200; id++) {
    const a = rng.random();
    const b = 10 ** (-3 + 3 * rng.random());
    const c = rng.int(11);
    const d = (["x", "y", "z"] as const)[rng.int(3)]!;
    const e = rng.random();
    const f1 =
      4 * (a - 0.3) ** 2 + 0.6 * ((Math.log10(b) + 1.5) / 1.5) ** 2 + 0.03 * Math.abs(c - 4) + { x: 0, y: 0.35, z: 0.1 }[d];
    const f2 = 0.2 * (1 - a) ** 2 + 0.15 * c + (d === "z" ? 0 : 0.5);
    opt.addTrial({ id, params: { a, b, c, d, e }, state: "complete", value: [f1, f2] });
  }
  return opt;
}

/**
 * Optuna 5.0.0 on the same 200 trials (create_trial + add_trial, directions [minimize,
 * minimize]), get_param_importances(study, evaluator=PedAnovaImportanceEvaluator(),
 * target=lambda t: t.values[k]) and FanovaImportanceEvaluator(seed=0) (scikit-learn 1.8),
 * run once in a throwaway virtual environment.
 */
const OPTUNA_PED_ANOVA = [
  { a: 0.7323409561107063, b: 0.144519782390354, d: 0.07395610896949723, c: 0.03970319382570876, e: 0.009479958703733611 },
  { c: 0.7269877729908194, e: 0.13185129070014193, d: 0.11689303737607096, b: 0.018581997319209825, a: 0.005685901613758013 },
];
const OPTUNA_FANOVA = [
  { a: 0.8993540619428788, b: 0.05469924565018714, d: 0.04005826519503444, e: 0.003506421918873557, c: 0.002382005293026064 },
  { c: 0.7638769164473631, d: 0.23082873913566793, a: 0.00502635983700464, e: 0.00018694369486232137, b: 8.104088510197875e-5 },
];

const ranking = (imp: Record<string, number>): string[] =>
  Object.entries(imp)
    .sort((x, y) => y[1] - x[1])
    .map(([k]) => k);

describe("importance per objective, fANOVA and PED-ANOVA, against Optuna", () => {
  it("gives Optuna's PED-ANOVA shares for each objective", () => {
    const opt = fixedStudy();
    for (const objective of [0, 1]) {
      const ours = opt.importance({ objective, method: "ped-anova" });
      expect(ranking(ours)).toEqual(ranking(OPTUNA_PED_ANOVA[objective]!));
      // Same algorithm on the same trials: equal to within our normal CDF's rounding (~1e-8).
      for (const [k, v] of Object.entries(OPTUNA_PED_ANOVA[objective]!)) expect(ours[k], `${objective}:${k}`).toBeCloseTo(v, 6);
    }
  });

  it("ranks the parameters that matter for each objective as Optuna's fANOVA does", () => {
    const opt = fixedStudy();
    expect(opt.importance()).toEqual(opt.importance({ objective: 0, method: "fanova" }));
    // The forests differ (ours is not scikit-learn's), so the top of the ranking is compared,
    // where Optuna's shares are well apart; the noise params' order is not meaningful.
    expect(ranking(opt.importance({ objective: 0 })).slice(0, 3)).toEqual(ranking(OPTUNA_FANOVA[0]!).slice(0, 3));
    expect(ranking(opt.importance({ objective: 1 })).slice(0, 2)).toEqual(ranking(OPTUNA_FANOVA[1]!).slice(0, 2));
  });

  it("gives Optuna's PED-ANOVA shares on a conditional space with stepped, log-int params, maximizing", () => {
    const space = {
      opt: { type: "categorical", choices: ["sgd", "adam"] },
      momentum: { type: "float", low: 0.5, high: 0.99, when: { opt: "sgd" } },
      s: { type: "float", low: 0, high: 1, step: 0.1 },
      n: { type: "int", low: 1, high: 1000, log: true },
    } as const;
    const opt = createOptimizer({ space, direction: "maximize" });
    const rng = new Rng(7);
    for (let id = 0; id < 150; id++) {
      const choice = rng.random() < 0.5 ? "sgd" : "adam";
      const momentum = choice === "sgd" ? 0.5 + 0.49 * rng.random() : undefined;
      const s = Math.round(rng.random() * 10) / 10;
      const n = Math.round(10 ** (3 * rng.random()));
      const v =
        (choice === "sgd" ? 3 * (momentum! - 0.9) ** 2 : 0.05) + 0.2 * (s - 0.7) ** 2 + 0.02 * Math.abs(Math.log10(n) - 2);
      const params: Record<string, string | number> =
        momentum === undefined ? { opt: choice, s, n } : { opt: choice, momentum, s, n };
      opt.addTrial({ id, params, state: "complete", value: -v });
    }
    // Optuna 5.0.0, the same trials (momentum only in sgd trials' distributions), direction
    // "maximize", get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()).
    const optuna = { momentum: 0.75821584379605, s: 0.14989297481859487, n: 0.05578265944919165, opt: 0.03610852193616335 };
    const ours = opt.importance({ method: "ped-anova" });
    expect(ranking(ours)).toEqual(ranking(optuna));
    for (const [k, v] of Object.entries(optuna)) expect(ours[k], k).toBeCloseTo(v, 6);
  });

  it("rejects an objective the study does not have", () => {
    const opt = fixedStudy();
    expect(() => opt.importance({ objective: 2 })).toThrow("importance: objective must be an integer from 0 to 1 (got 2)");
    expect(() => opt.importance({ method: "shap" as "fanova" })).toThrow(/method must be one of fanova, ped-anova/);
  });

  it("gives equal PED-ANOVA shares without enough data", () => {
    const opt = createOptimizer({ space: { a: { type: "float", low: 0, high: 1 }, b: { type: "float", low: 0, high: 1 } } });
    expect(opt.importance({ method: "ped-anova" })).toEqual({ a: 0.5, b: 0.5 });
  });
});

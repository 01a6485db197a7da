import { describe, expect, it } from "vitest";
import { mapBuiltinParams } from "./builtin.js";
import { ZTrialLease } from "./events/schemas.js";
import { gridPointCount, MAX_GRID_POINTS } from "./grid-points.js";
import { parseStudySpec, studySpecOf } from "./study-spec.js";

const valid = {
  name: "branin-demo",
  objective: { metric: "loss", direction: "minimize" },
  space: {
    x: { type: "float", low: -5, high: 10 },
    lr: { type: "float", low: 1e-5, high: 1e-1, log: true },
    layers: { type: "int", low: 1, high: 8 },
    width: { type: "int", low: 16, high: 1024, log: true },
    act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
    optimizer: { type: "categorical", choices: ["sgd", "adamw"] },
    dropout: { type: "float", low: 0, high: 0.5, step: 0.05 },
    momentum: { type: "float", low: 0.5, high: 0.99, when: { optimizer: "sgd" } },
  },
  sampler: { name: "random", seed: 0 },
  pruner: { name: "none" },
  budget: { max_trials: 100, max_parallel: 4, timeout_minutes: 60 },
  run: { command: "python3 train.py --lr {lr} --layers {layers}", resources: { gpus: 1 } },
};

function messageFor(patch: (s: any) => void): string {
  const spec = structuredClone(valid) as any;
  patch(spec);
  const r = parseStudySpec(spec);
  if (r.ok) throw new Error("expected the spec to be rejected");
  return r.message;
}

describe("study spec", () => {
  it("accepts the documented example and fills defaults", () => {
    const r = parseStudySpec(valid);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.budget.max_attempts).toBe(3);
      expect(r.spec.budget.lease_minutes).toBe(10);
      expect(r.spec.run?.resources.gpus).toBe(1);
    }
  });

  it("takes a sampler plugin's name and options as written (the server checks the name is registered)", () => {
    const r = parseStudySpec({ ...valid, sampler: { name: "local-search", scale: 0.05 } });
    expect(r.ok && r.spec.sampler).toEqual({ name: "local-search", seed: 0, scale: 0.05 });
  });

  it("defaults sampler and pruner when omitted", () => {
    const { sampler, pruner, ...rest } = valid;
    const r = parseStudySpec(rest);
    expect(r.ok && r.spec.sampler.name).toBe("auto");
    expect(r.ok && r.spec.pruner.name).toBe("none");
  });

  it("names the field of each mistake", () => {
    expect(messageFor((s) => (s.space.lr.low = 0))).toBe("space.lr.low: must be > 0 when log is true");
    expect(messageFor((s) => (s.space.x.low = 20))).toBe("space.x.low: must not be greater than high");
    expect(messageFor((s) => (s.space.act.choices = []))).toContain("space.act.choices: needs at least one choice");
    expect(messageFor((s) => (s.space.momentum.when = { opt: "sgd" }))).toBe(
      'space.momentum.when.opt: refers to unknown parameter "opt"',
    );
    expect(messageFor((s) => (s.space.momentum.when = { optimizer: "adam" }))).toBe(
      'space.momentum.when.optimizer: "adam" is not one of optimizer\'s choices',
    );
    expect(messageFor((s) => (s.budget.max_trials = 0))).toContain("budget.max_trials");
    expect(messageFor((s) => (s.sampler.name = "Bogus!"))).toBe(
      "sampler.name: must be one of auto, random, grid, tpe, gp, cmaes, nsga2, or the name of a sampler plugin the server registered",
    );
    expect(messageFor((s) => (s.space.x.type = "double"))).toContain("space.x.type: type must be one of float, int, categorical");
    expect(messageFor((s) => (s.objective.direction = "down"))).toContain("objective.direction");
    expect(messageFor((s) => (s.name = " "))).toBe("name: is required");
    expect(messageFor((s) => (s.space = {}))).toBe("space: needs at least one parameter");
    expect(messageFor((s) => (s.run = { resources: {} }))).toBe(
      "run.command: is required unless run.builtin is given: give exactly one of run.command or run.builtin",
    );
    expect(messageFor((s) => (s.extra = 1))).toContain("Unrecognized key");
  });

  it("takes run.artifacts globs and run.artifacts_max_mb within its bound", () => {
    const r = parseStudySpec({ ...valid, run: { ...valid.run, artifacts: ["*.pt", "logs/**"], artifacts_max_mb: 10 } });
    expect(r.ok && r.spec.run).toMatchObject({ artifacts: ["*.pt", "logs/**"], artifacts_max_mb: 10 });
    expect(messageFor((s) => (s.run.artifacts_max_mb = 1_048_577))).toContain("run.artifacts_max_mb");
    expect(messageFor((s) => (s.run.artifacts_max_mb = 1.5))).toContain("run.artifacts_max_mb");
    expect(messageFor((s) => (s.run.artifacts = [""]))).toContain("run.artifacts.0");
  });

  it("rejects non-finite numbers", () => {
    expect(messageFor((s) => (s.space.x.high = Number.POSITIVE_INFINITY))).toContain("space.x.high");
    expect(messageFor((s) => (s.space.x.low = Number.NaN))).toContain("space.x.low");
  });
});

describe("run.builtin", () => {
  const builtinSpec = (run: unknown, objective = { metric: "val_accuracy", direction: "maximize" }) => ({
    name: "digits-mlp",
    objective,
    space: { lr: { type: "float", low: 1e-4, high: 1e-1, log: true }, hidden: { type: "int", low: 8, high: 64 } },
    run,
  });

  it("accepts a builtin trainer instead of a command", () => {
    const r = parseStudySpec(
      builtinSpec({ builtin: { trainer: "mlp", dataset: "digits", epochs: 3, params: { batch_size: 64 } } }),
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.run?.builtin).toEqual({ trainer: "mlp", dataset: "digits", epochs: 3, params: { batch_size: 64 } });
      expect(r.spec.run?.command).toBeUndefined();
      expect(r.spec.run?.resources.gpus).toBe(0);
    }
    const glm = parseStudySpec(
      builtinSpec({ builtin: { trainer: "glm", dataset: "diabetes", epochs: 5 } }, { metric: "val_loss", direction: "minimize" }),
    );
    expect(glm.ok).toBe(true);
    const lm = parseStudySpec(
      builtinSpec(
        { builtin: { trainer: "glm", dataset: "shakespeare", steps: 50 } },
        { metric: "val_bpb", direction: "minimize" },
      ),
    );
    expect(lm.ok).toBe(true);
  });

  it("names the field when both or neither of command and builtin are given", () => {
    const both = parseStudySpec(builtinSpec({ command: "python3 train.py", builtin: { trainer: "mlp", dataset: "digits" } }));
    expect(both.ok).toBe(false);
    if (!both.ok) {
      expect(both.issues).toEqual([
        { path: "run.builtin", message: "cannot be combined with run.command: give exactly one of run.command or run.builtin" },
      ]);
    }
    const neither = parseStudySpec(builtinSpec({ resources: { gpus: 1 } }));
    expect(neither.ok).toBe(false);
    if (!neither.ok) expect(neither.issues.map((i) => i.path)).toEqual(["run.command"]);
  });

  it("rejects unknown trainers, datasets and fields by their path", () => {
    const msg = (run: unknown, objective?: { metric: string; direction: string }) => {
      const r = parseStudySpec(builtinSpec(run, objective as never));
      if (r.ok) throw new Error("expected the spec to be rejected");
      return r.message;
    };
    expect(msg({ builtin: { trainer: "xgboost", dataset: "digits" } })).toBe("run.builtin.trainer: must be one of mlp, glm");
    expect(msg({ builtin: { trainer: "mlp", dataset: "mnist" } })).toBe(
      "run.builtin.dataset: must be one of digits, diabetes, shakespeare",
    );
    expect(msg({ builtin: { trainer: "mlp", dataset: "shakespeare" } })).toBe(
      "run.builtin.dataset: shakespeare is a text corpus; only trainer glm trains on it",
    );
    expect(msg({ builtin: { trainer: "mlp", dataset: "digits", epochs: 0 } })).toContain("run.builtin.epochs");
    expect(msg({ builtin: { trainer: "mlp", dataset: "digits", steps: 10 } })).toBe(
      "run.builtin.steps: applies to a text dataset only; use epochs",
    );
    expect(
      msg({ builtin: { trainer: "glm", dataset: "shakespeare", epochs: 2 } }, { metric: "val_loss", direction: "minimize" }),
    ).toBe("run.builtin.epochs: does not apply to a text dataset; use steps");
    expect(msg({ builtin: { trainer: "mlp", dataset: "digits", layers: 2 } })).toContain(
      "run.builtin: Unrecognized key(s) in object: 'layers'",
    );
  });

  it("requires the objective to be a metric the builtin trainer reports", () => {
    const r = parseStudySpec(builtinSpec({ builtin: { trainer: "mlp", dataset: "diabetes" } }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe(
        'objective.metric: run.builtin (mlp on diabetes) reports loss, val_loss, val_rmse, val_r2; "val_accuracy" is not one of them',
      );
    }
  });

  it("maps parameters by name and aliases, and lists the ones it ignores", () => {
    const m = mapBuiltinParams("mlp", {
      lr: 0.01,
      hidden: 31.6,
      layers: "2",
      batch_size: 64,
      act: "gelu",
      momentum: 0.9,
      foo: "x",
    });
    expect(m.config).toEqual({ lr: 0.01, width: 32, layers: 2, batchSize: 64, activation: "gelu" });
    expect(m.ignored).toEqual(["momentum", "foo"]);
    expect(m.invalid).toEqual([]);
    const g = mapBuiltinParams("linear", { alpha: 0.001, learning_rate: 0.05, hidden: 8 });
    expect(g.config).toEqual({ lr: 0.05, weightDecay: 0.001 });
    expect(g.ignored).toEqual(["hidden"]);
    const lm = mapBuiltinParams("lm", { n_embd: 64, block_size: 32, heads: 4, warmup_steps: 5, activation: 3 });
    expect(lm.config).toEqual({ width: 64, context: 32, heads: 4, warmup: 5 });
    expect(lm.ignored).toEqual(["activation"]);
    expect(mapBuiltinParams("mlp", { lr: "fast", activation: 1 }).invalid).toEqual([
      { name: "lr", reason: 'must be a number, got "fast"' },
      { name: "activation", reason: "must be a string, got 1" },
    ]);
  });

  it("carries builtin in a trial lease, exactly one of command and builtin", () => {
    const lease = {
      v: 1,
      trialId: "00000000-0000-4000-8000-000000000001",
      attempt: 1,
      leaseToken: "00000000-0000-4000-8000-000000000002",
      studyId: "00000000-0000-4000-8000-000000000003",
      number: 0,
      leaseExpiresAt: new Date().toISOString(),
      params: { lr: 0.01 },
      objective: { metric: "val_accuracy", direction: "maximize" },
      run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 2 }, resources: { gpus: 0 } },
    };
    expect(ZTrialLease.safeParse(lease).success).toBe(true);
    expect(ZTrialLease.safeParse({ ...lease, run: { ...lease.run, command: "true" } }).success).toBe(false);
    expect(ZTrialLease.safeParse({ ...lease, run: { resources: { gpus: 0 } } }).success).toBe(false);
    expect(ZTrialLease.safeParse({ ...lease, run: { command: "true", resources: { gpus: 0 } } }).success).toBe(true);
  });
});

describe("pruner options", () => {
  const base = {
    name: "p",
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: 0, high: 1 } },
  };
  it("accepts patience wrapping another pruner, and names a bad wrapped pruner", () => {
    const ok = parseStudySpec({
      ...base,
      pruner: { name: "patience", patience: 3, wrapped: { name: "median", n_startup_trials: 5 } },
    });
    expect(ok.ok).toBe(true);
    const bad = parseStudySpec({ ...base, pruner: { name: "patience", patience: 3, wrapped: { name: "nope" } } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain("pruner.wrapped");
  });
});

describe("grid point bound", () => {
  const floats = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
  const grid = (space: object, sampler: object) =>
    parseStudySpec({
      name: "g",
      objective: { metric: "loss", direction: "minimize" },
      space,
      sampler: { name: "grid", ...sampler },
    });

  it("refuses 62 continuous axes at grid_size 100000, naming the field and the bound", () => {
    const r = grid(floats(62), { grid_size: 100_000 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]!.path).toBe("sampler.grid_size");
      expect(r.message).toBe(
        "sampler.grid_size: the grid over 62 parameters at 100000 points per axis has about 10^310 points, " +
          `more than the ${MAX_GRID_POINTS} a grid may have: lower grid_size, search fewer parameters, or use another sampler (random, tpe)`,
      );
    }
  });

  it("counts the default 10 points per axis, discrete axes at their size, and either spelling of the option", () => {
    expect(grid(floats(7), {}).ok).toBe(true);
    const eight = grid(floats(8), {});
    expect(!eight.ok && eight.message).toContain(
      "sampler.grid_size: the grid over 8 parameters at 10 points per axis has 100000000 points",
    );
    const camel = grid(floats(2), { gridSize: 100_000 });
    expect(!camel.ok && camel.issues[0]!.path).toBe("sampler.gridSize");
    // 1000 choices x 1001 ints thinned to 1000 x 11 stepped floats = 11,000,000 > 10^7; one float value fits.
    const mixed = {
      c: { type: "categorical", choices: Array.from({ length: 1000 }, (_, i) => i) },
      n: { type: "int", low: 0, high: 1000 },
      d: { type: "float", low: 0, high: 1, step: 0.1 },
    };
    expect(gridPointCount(mixed as never, 1000).points).toBe(1000 * 1000 * 11);
    expect(grid(mixed, { grid_size: 1000 }).ok).toBe(false);
    expect(grid({ ...mixed, d: { type: "categorical", choices: [1] } }, { grid_size: 1000 }).ok).toBe(true);
    // Other samplers are not bounded by the grid's size.
    expect(
      parseStudySpec({
        name: "r",
        objective: { metric: "loss", direction: "minimize" },
        space: floats(62),
        sampler: { name: "random", grid_size: 100_000 },
      }).ok,
    ).toBe(true);
  });
});

describe("studySpecOf (a spec read back from storage)", () => {
  it("fills every default into a spec stored without them, and names the field of one that no longer validates", () => {
    const stored = {
      name: "old",
      objective: { metric: "loss", direction: "minimize" },
      space: { x: { type: "float", low: 0, high: 1 } },
      run: { command: "python train.py" },
    };
    const spec = studySpecOf(stored);
    expect(spec.sampler).toEqual({ name: "auto", seed: 0 });
    expect(spec.pruner).toEqual({ name: "none" });
    expect(spec.budget).toEqual({ max_trials: 100, max_parallel: 4, max_attempts: 3, lease_minutes: 10 });
    expect(spec.run?.resources).toEqual({ gpus: 0 });
    expect(studySpecOf({ ...stored, sampler: { name: "tpe", seed: 9 } }).sampler).toEqual({ name: "tpe", seed: 9 });
    expect(() => studySpecOf({ ...stored, budget: { max_attempts: 50 } })).toThrow(
      "the stored study spec is not valid: budget.max_attempts: Number must be less than or equal to 20",
    );
  });
});

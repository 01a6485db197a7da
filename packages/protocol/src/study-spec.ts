import { z } from "zod";
import { zAliasName, zModelName } from "./model-names.js";
import { BUILTIN_DATASET_NAMES, BUILTIN_TRAINERS, builtinKind, type TBuiltinDataset } from "./builtin.js";
import { checkBuiltinMetrics, checkObjectives, ZConstraints, ZObjective, ZObjectives } from "./study-objectives.js";
import { gridPointCount, DEFAULT_GRID_SIZE, describeGridPoints, MAX_GRID_POINTS } from "./grid-points.js";
import { ZParamSpec } from "./param-spec.js";
import { capMessage, countValues, MAX_SPEC_MESSAGE_CHARS, MAX_SPEC_VALUES } from "./spec-size.js";
import { findNul, NUL_MESSAGE } from "./text.js";
import { checkServeSection, ZServeSection } from "./serve-section.js";

/**
 * The study spec: one schema for the dashboard form, the tRPC API and the CLI's YAML.
 * Errors carry zod paths (`space.lr.low`), which `formatSpecIssues` turns into sentences
 * that name the field.
 */

// Mirrors @autoglm/optimizer's SAMPLER_NAMES / PRUNER_NAMES; protocol imports nothing of
// ours, so the lists are repeated here and a test in the api package checks they agree.
export const SAMPLER_NAMES = ["auto", "random", "grid", "tpe", "gp", "cmaes", "nsga2"] as const;
export const PRUNER_NAMES = [
  "none",
  "median",
  "percentile",
  "successive_halving",
  "asha",
  "hyperband",
  "patience",
  "threshold",
] as const;

export { ZParamSpec, type TParamSpec } from "./param-spec.js";

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export const ZSpace = z.record(z.string(), ZParamSpec).superRefine((space, ctx) => {
  const names = Object.keys(space);
  if (names.length === 0) ctx.addIssue({ code: "custom", message: "needs at least one parameter" });
  if (names.length > 200) ctx.addIssue({ code: "custom", message: "has more than 200 parameters" });
  for (const [name, p] of Object.entries(space)) {
    if (!PARAM_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "parameter names must start with a letter or _ and use only letters, digits, _ . -",
      });
    }
    if (p.type !== "categorical") {
      if (p.low > p.high) ctx.addIssue({ code: "custom", path: [name, "low"], message: "must not be greater than high" });
      if (p.log && p.low <= 0) ctx.addIssue({ code: "custom", path: [name, "low"], message: "must be > 0 when log is true" });
      if (p.log && p.step !== undefined)
        ctx.addIssue({ code: "custom", path: [name, "step"], message: "cannot be combined with log" });
      if (p.step !== undefined && p.step > p.high - p.low && p.high > p.low) {
        ctx.addIssue({ code: "custom", path: [name, "step"], message: "is larger than the range high - low" });
      }
    } else if (new Set(p.choices.map((c) => JSON.stringify(c))).size !== p.choices.length) {
      ctx.addIssue({ code: "custom", path: [name, "choices"], message: "must not repeat a choice" });
    }
    for (const [dep, expected] of Object.entries(p.when ?? {})) {
      const parent = space[dep];
      if (dep === name) {
        ctx.addIssue({ code: "custom", path: [name, "when", dep], message: "a parameter cannot depend on itself" });
        continue;
      }
      if (!parent) {
        ctx.addIssue({ code: "custom", path: [name, "when", dep], message: `refers to unknown parameter "${dep}"` });
        continue;
      }
      if (parent.type === "categorical") {
        const wanted = Array.isArray(expected) ? expected : [expected];
        for (const v of wanted) {
          if (!parent.choices.some((c) => c === v)) {
            ctx.addIssue({
              code: "custom",
              path: [name, "when", dep],
              message: `${JSON.stringify(v)} is not one of ${dep}'s choices`,
            });
          }
        }
      }
    }
  }
});
export type TSpace = z.infer<typeof ZSpace>;

/** A sampler plugin's name (the optimizer's registerSampler rule); the server checks it is registered. */
const PLUGIN_SAMPLER_NAME = /^[a-z][a-z0-9-]{1,39}$/;

export const ZSamplerConfig = z
  .object({
    name: z.string().refine((n) => (SAMPLER_NAMES as readonly string[]).includes(n) || PLUGIN_SAMPLER_NAME.test(n), {
      message: `must be one of ${SAMPLER_NAMES.join(", ")}, or the name of a sampler plugin the server registered`,
    }),
    // A study without a seed still gets a fixed one, so the stored spec replays the same.
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
  })
  // Sampler-specific options (n_startup_trials, multivariate, ...) are validated by the optimizer.
  .catchall(z.union([z.string().max(200), z.number().finite(), z.boolean(), z.array(z.number().finite()).max(100)]));

const ZPrunerOption = z.union([z.string().max(200), z.number().finite(), z.boolean()]);
export const ZPrunerConfig = z
  .object({
    name: z.enum(PRUNER_NAMES),
    /** Multi-objective studies: the objective whose intermediate values the pruner reads. */
    objective: z.string().min(1).max(100).optional(),
  })
  // `patience` wraps another pruner (`wrapped: {name: median, ...}`); one level is enough.
  .catchall(z.union([ZPrunerOption, z.object({ name: z.enum(PRUNER_NAMES) }).catchall(ZPrunerOption)]));

export const ZBudget = z
  .object({
    max_trials: z.number().int().min(1).max(100_000).default(100),
    max_parallel: z.number().int().min(1).max(1000).default(4),
    timeout_minutes: z
      .number()
      .positive()
      .max(60 * 24 * 365)
      .optional(),
    max_attempts: z.number().int().min(1).max(20).default(3),
    max_failures: z.number().int().min(1).max(100_000).optional(),
    /** How long a trial handed out by `ask` stays leased without a report (minutes). */
    lease_minutes: z
      .number()
      .positive()
      .max(24 * 60)
      .default(10),
    /**
     * Completes the study once the estimated improvement left (a GP regret bound, in the
     * objective's units; shown on the study page) falls below `improvement_below`.
     */
    stop_when: z.object({ improvement_below: z.number().positive().finite() }).strict().optional(),
  })
  .strict();

export const ZResources = z
  .object({
    gpus: z.number().int().min(0).max(64).default(0),
    memory_gb: z.number().positive().max(100_000).optional(),
    labels: z.record(z.string().max(100), z.string().max(200)).optional(),
  })
  .strict();

const ZFixedValue = z.union([z.string().max(200), z.number().finite(), z.boolean()]);

/**
 * `run.builtin`: a trial trained by @autoglm/native's built-in trainers instead of a command
 * (see ./builtin.ts for what each trainer/dataset pair trains and which parameters it takes).
 */
export const ZBuiltinRun = z
  .object({
    trainer: z.enum(BUILTIN_TRAINERS, {
      errorMap: () => ({ message: `must be one of ${BUILTIN_TRAINERS.join(", ")}` }),
    }),
    dataset: z.enum(BUILTIN_DATASET_NAMES as [TBuiltinDataset, ...TBuiltinDataset[]], {
      errorMap: () => ({ message: `must be one of ${BUILTIN_DATASET_NAMES.join(", ")}` }),
    }),
    /** Tabular trainers: passes over the training set (a parameter named `epochs` overrides it). */
    epochs: z.number().int().min(1).max(10_000).optional(),
    /** Text (glm language model): optimizer steps (a parameter named `steps` overrides it). */
    steps: z.number().int().min(1).max(1_000_000).optional(),
    /** Share of the dataset held out for val_* metrics (default 0.2 tabular, 0.1 text). */
    val_fraction: z.number().gt(0).max(0.5).optional(),
    /** Seed of the train/validation split and of the model's initialisation. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /** Fixed hyperparameters, by the same names as the space's (the trial's parameters win). */
    params: z.record(z.string().max(64), ZFixedValue).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const kind = builtinKind(b.trainer, b.dataset);
    if (kind === null) {
      ctx.addIssue({
        code: "custom",
        path: ["dataset"],
        message: `${b.dataset} is a text corpus; only trainer glm trains on it`,
      });
      return;
    }
    if (kind === "lm" && b.epochs !== undefined) {
      ctx.addIssue({ code: "custom", path: ["epochs"], message: "does not apply to a text dataset; use steps" });
    }
    if (kind !== "lm" && b.steps !== undefined) {
      ctx.addIssue({ code: "custom", path: ["steps"], message: "applies to a text dataset only; use epochs" });
    }
  });
export type TBuiltinRun = z.output<typeof ZBuiltinRun>;

/** A trial's artifacts cap when the spec names none (`run.artifacts_max_mb`), and the most it may name. */
export const DEFAULT_ARTIFACTS_MB = 2048;
export const MAX_ARTIFACTS_MB = 1_048_576;

export const ZRunSection = z
  .object({
    command: z.string().min(1).max(10_000).optional(),
    builtin: ZBuiltinRun.optional(),
    workdir: z.string().max(1000).optional(),
    resources: ZResources.default({}),
    timeout_minutes: z
      .number()
      .positive()
      .max(60 * 24 * 30)
      .optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(10_000)).optional(),
    /** Which files of AUTOGLM_OUTPUT_DIR the agent uploads when an attempt ends (globs, relative); absent: all. */
    artifacts: z.array(z.string().min(1).max(500)).max(100).optional(),
    /** The most one attempt uploads, in MiB: 2048 by default, at most 1 TiB (1,048,576 MiB). */
    artifacts_max_mb: z.number().int().min(0).max(MAX_ARTIFACTS_MB).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.command !== undefined && r.builtin !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["builtin"],
        message: "cannot be combined with run.command: give exactly one of run.command or run.builtin",
      });
    } else if (r.command === undefined && r.builtin === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["command"],
        message: "is required unless run.builtin is given: give exactly one of run.command or run.builtin",
      });
    }
  });

/**
 * A grid spec whose point count passes MAX_GRID_POINTS is refused here, where the form, the
 * API and the CLI all see it: 62 axes of 100,000 points overflow a double to Infinity.
 */
function checkGridPoints(sampler: z.output<typeof ZSamplerConfig>, space: TSpace, ctx: z.RefinementCtx): void {
  if (sampler.name !== "grid") return;
  // The scheduler camel-cases spec keys for the optimizer, so either spelling sets the size
  // and the later one wins.
  const key =
    Object.keys(sampler)
      .filter((k) => k === "grid_size" || k === "gridSize")
      .pop() ?? "grid_size";
  const size = sampler[key] ?? DEFAULT_GRID_SIZE;
  // A size that is not a positive integer gets the optimizer's own error.
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1) return;
  const count = gridPointCount(space, size);
  if (count.points <= MAX_GRID_POINTS) return;
  const n = Object.keys(space).length;
  ctx.addIssue({
    code: "custom",
    path: ["sampler", key],
    message:
      `the grid over ${n} parameter${n === 1 ? "" : "s"} at ${size} points per axis has ${describeGridPoints(count)} points, ` +
      `more than the ${MAX_GRID_POINTS} a grid may have: lower ${key}, search fewer parameters, or use another sampler (random, tpe)`,
  });
}

/**
 * Registers the study's best trial as a new version of `model` each time the best changes, and
 * points `alias` at it (`candidate` unless given).
 */
const ZRegister = z
  .object({
    model: zModelName,
    alias: zAliasName.default("candidate"),
  })
  .strict();

/**
 * Starts the sampler from another study's complete trials (Optuna's `add_trial`, SageMaker's
 * warm start): those whose params fit this space become prior observations, not trials of this
 * study. The API checks at creation that the source is the team's and has the same objective.
 */
const ZWarmStart = z.object({ from: z.string().uuid("must be a study id") }).strict();

const ZSpecShape = z
  .object({
    name: z.string().trim().min(1, "is required").max(120),
    description: z.string().max(2000).optional(),
    /** One objective; or `objectives` (2 to 4) for a multi-objective study. Exactly one of the two. */
    objective: ZObjective.optional(),
    objectives: ZObjectives.optional(),
    constraints: ZConstraints.optional(),
    space: ZSpace,
    // `auto` picks GP, TPE or CMA-ES per study and phase (the default, measured against Optuna in BENCHMARKS.md).
    sampler: ZSamplerConfig.default({ name: "auto" }),
    pruner: ZPrunerConfig.default({ name: "none" }),
    budget: ZBudget.default({}),
    run: ZRunSection.optional(),
    serve: ZServeSection.optional(),
    register: ZRegister.optional(),
    warm_start: ZWarmStart.optional(),
  })
  .strict();

const ZStudySpecFields = ZSpecShape.superRefine((spec, ctx) => {
  checkGridPoints(spec.sampler, spec.space, ctx);
  if (spec.register && !spec.run) {
    ctx.addIssue({
      code: "custom",
      path: ["register"],
      message: "needs a run section: only trials run by agents upload the files a model version is made of",
    });
  }
  checkObjectives(spec, ctx);
  checkBuiltinMetrics(spec, ctx);
  checkServeSection(spec, ctx);
});

/**
 * Checked on the raw input before zod walks it: zod reads every item of an array before its
 * max length (a 1 MiB body of a 250,000-item choice list took 0.8 s), and PostgreSQL
 * cannot store NUL in the spec's jsonb.
 */
function rawSpecIssue(input: unknown): { message: string; path?: (string | number)[] } | null {
  if (countValues(input, MAX_SPEC_VALUES) > MAX_SPEC_VALUES) {
    return { message: `has more than ${MAX_SPEC_VALUES} values (parameters, choices, options); a study spec needs far fewer` };
  }
  const nul = findNul(input);
  return nul ? { path: nul, message: NUL_MESSAGE } : null;
}

export const ZStudySpec = z
  .custom<z.input<typeof ZStudySpecFields>>(
    (input) => rawSpecIssue(input) === null,
    (input) => rawSpecIssue(input) ?? { message: "is not a valid spec" },
  )
  .pipe(ZStudySpecFields);

/** What a user writes (defaults optional). */
export type TStudySpecInput = z.input<typeof ZStudySpec>;
/** What the platform stores (defaults filled in). */
export type TStudySpec = z.output<typeof ZStudySpec>;

export interface TSpecIssue {
  path: string;
  message: string;
}

/** Issues listed at most; a message counts the rest ("and 12 more"). */
const MAX_LISTED_ISSUES = 20;

/** Turns zod issues into `{path, message}` pairs whose path names the field (`space.lr.low`). */
export function formatSpecIssues(error: z.ZodError): TSpecIssue[] {
  // Bounded: a spec can raise thousands of issues, and paths and messages quote user keys.
  return error.issues.slice(0, MAX_LISTED_ISSUES).map((issue) => ({
    path: capMessage(issue.path.length ? issue.path.join(".") : "(spec)", 200),
    message: capMessage(issue.message, 300),
  }));
}

/** One sentence per issue, e.g. `space.lr.low: must be > 0 when log is true`; at most MAX_SPEC_MESSAGE_CHARS. */
export function describeSpecError(error: z.ZodError): string {
  const parts: string[] = [];
  let length = 0;
  for (const i of formatSpecIssues(error)) {
    const part = `${i.path}: ${i.message}`;
    if (parts.length > 0 && length + part.length + 2 > MAX_SPEC_MESSAGE_CHARS - 20) break;
    parts.push(part);
    length += part.length + 2;
  }
  const more = error.issues.length - parts.length;
  return capMessage(parts.join("; ") + (more > 0 ? ` (and ${more} more)` : ""));
}

export type TParseSpecResult = { ok: true; spec: TStudySpec } | { ok: false; issues: TSpecIssue[]; message: string };

/**
 * A spec read back from storage, defaults filled in: the one way the platform reads a stored
 * spec, so a row written before a default existed reads like a new one. Throws when the row no
 * longer validates (a bound tightened since it was written), naming the fields.
 */
export function studySpecOf(stored: unknown): TStudySpec {
  const result = ZStudySpec.safeParse(stored);
  if (!result.success) throw new Error(`the stored study spec is not valid: ${describeSpecError(result.error)}`);
  return result.data;
}

export function parseStudySpec(input: unknown): TParseSpecResult {
  const result = ZStudySpec.safeParse(input);
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, issues: formatSpecIssues(result.error), message: describeSpecError(result.error) };
}

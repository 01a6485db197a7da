import { predictedBest } from "./best-predicted.js";
import { SAMPLER_NAMES } from "./config.js";
import { checkConstraints, isFeasibleComplete } from "./constraints.js";
import { checkIntermediate } from "./intermediate.js";
import { OptimizerError } from "./errors.js";
import { computeImportance } from "./importance.js";
import { pedAnovaImportance } from "./ped-anova.js";
import { improvementHistory, regretBound, type TImprovementPoint } from "./improvement.js";
import {
  IMPORTANCE_METHODS,
  type Optimizer,
  type TAskedTrial,
  type TBest,
  type THistoryTrial,
  type TImportanceOptions,
  type TOptimizerConfig,
  type TReportResult,
  type TSerializedOptimizer,
  type TTellExtra,
  type TValue,
} from "./optimizer-api.js";
import { createPruner } from "./pruners/index.js";
import { hashSeed, Rng } from "./rng.js";
import { AutoSampler, type THandover, type TPortfolioPoint } from "./samplers/auto.js";
import { createSampler, isSamplerName, unknownSamplerMessage } from "./samplers/index.js";
import { dominates } from "./pareto.js";
import { checkParams, compileSpace, type CompiledSpace } from "./space.js";
import type { Pruner, Sampler, TrialView, TTrialState } from "./trial.js";

export * from "./optimizer-api.js";

const STATES: readonly TTrialState[] = ["running", "complete", "pruned", "failed"];

function badValue(msg: string): never {
  throw new OptimizerError("INVALID_VALUE", msg);
}

class OptimizerImpl implements Optimizer {
  private readonly space: CompiledSpace;
  private readonly signs: Array<1 | -1>;
  private readonly sampler: Sampler;
  private readonly pruner: Pruner;
  private readonly seed: number;
  private readonly byId = new Map<number, TrialView>();
  private sorted: TrialView[] | null = [];
  /** How many constraints the trials that have them carry (null until one does). */
  private nConstraints: number | null = null;
  private readonly cfg: TSerializedOptimizer["config"];

  constructor(config: TOptimizerConfig) {
    if (typeof config !== "object" || config === null) throw new OptimizerError("INVALID_CONFIG", "config: must be an object");
    this.space = compileSpace(config.space);
    const direction = config.direction ?? "minimize";
    const dirs = Array.isArray(direction) ? direction : [direction];
    if (dirs.length === 0) throw new OptimizerError("INVALID_CONFIG", "direction: must list at least one objective");
    dirs.forEach((d, i) => {
      if (d !== "minimize" && d !== "maximize")
        throw new OptimizerError(
          "INVALID_CONFIG",
          `direction${Array.isArray(direction) ? `[${i}]` : ""}: must be "minimize" or "maximize" (got ${JSON.stringify(d)})`,
        );
    });
    this.signs = dirs.map((d) => (d === "minimize" ? 1 : -1));
    const samplerCfg = config.sampler ?? { name: "auto" };
    if (typeof samplerCfg !== "object" || samplerCfg === null || !isSamplerName(samplerCfg.name))
      throw new OptimizerError("INVALID_CONFIG", unknownSamplerMessage((samplerCfg as { name?: unknown })?.name));
    const seed = samplerCfg.seed;
    if (seed !== undefined && !(typeof seed === "number" && Number.isSafeInteger(seed)))
      throw new OptimizerError("INVALID_CONFIG", "sampler.seed: must be an integer");
    // No seed: draw one, and keep it so serialize()/restore reproduce the same proposals.
    this.seed = seed ?? Math.floor(Math.random() * 2 ** 31);
    this.sampler = createSampler({ ...samplerCfg, seed: this.seed }, this.space, dirs.length);
    const prunerCfg = config.pruner ?? { name: "none" };
    this.pruner = createPruner(prunerCfg);
    if (dirs.length > 1 && prunerCfg.name !== "none")
      throw new OptimizerError(
        "INVALID_CONFIG",
        'pruner: pruning needs a single objective; use { name: "none" } for multi-objective studies',
      );
    this.cfg = {
      space: structuredClone(config.space),
      direction: Array.isArray(direction) ? [...direction] : direction,
      sampler: { ...structuredClone(samplerCfg), seed: this.seed },
      pruner: structuredClone(prunerCfg),
    };
  }

  private view(): TrialView[] {
    if (this.sorted === null) this.sorted = [...this.byId.values()].sort((a, b) => a.id - b.id);
    return this.sorted;
  }

  private nextId(): number {
    let m = -1;
    for (const id of this.byId.keys()) if (id > m) m = id;
    return m + 1;
  }

  private checkId(id: unknown, at: string): number {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0)
      throw new OptimizerError("INVALID_PARAMS", `${at}: id must be a non-negative integer`);
    if (this.byId.has(id)) throw new OptimizerError("DUPLICATE_TRIAL", `${at}: trial ${id} already exists`);
    return id;
  }

  private running(id: unknown, at: string): TrialView {
    const t = typeof id === "number" ? this.byId.get(id) : undefined;
    if (t === undefined) throw new OptimizerError("UNKNOWN_TRIAL", `${at}: trial ${String(id)} does not exist`);
    if (t.state !== "running") throw new OptimizerError("TRIAL_FINISHED", `${at}: trial ${t.id} is already ${t.state}`);
    return t;
  }

  /** Validates a value and returns the minimize-oriented losses. */
  private toLoss(value: unknown, at: string): number[] {
    const n = this.signs.length;
    let arr: unknown[];
    if (typeof value === "number") arr = [value];
    else if (Array.isArray(value)) arr = value;
    else return badValue(`${at}: value must be ${n === 1 ? "a number" : `an array of ${n} numbers`}`);
    if (arr.length !== n) badValue(`${at}: expected ${n} objective value${n === 1 ? "" : "s"}, got ${arr.length}`);
    return arr.map((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v))
        badValue(`${at}: value${n > 1 ? `[${i}]` : ""} must be a finite number (got ${String(v)})`);
      return (v as number) * this.signs[i]!;
    });
  }

  private fromLoss(loss: number[]): TValue {
    const raw = loss.map((v, i) => v * this.signs[i]!);
    return this.signs.length === 1 ? raw[0]! : raw;
  }

  private insert(t: TrialView): void {
    this.byId.set(t.id, t);
    // The usual case, a new largest id, keeps the view sorted without a sort (a fresh array:
    // a view handed out earlier stays as it was).
    const s = this.sorted;
    this.sorted = s !== null && (s.length === 0 || s[s.length - 1]!.id < t.id) ? [...s, t] : null;
  }

  ask(options?: { id?: number }): TAskedTrial {
    const id = options?.id === undefined ? this.nextId() : this.checkId(options.id, "ask");
    const nKnown = this.byId.size;
    const ctx = {
      space: this.space,
      nObjectives: this.signs.length,
      trials: this.view(),
      rng: new Rng(hashSeed(this.seed, nKnown)),
      seed: this.seed,
      nKnown,
    };
    const name = this.cfg.sampler.name;
    const proposal = this.sampler.propose ? this.sampler.propose(ctx) : { params: this.sampler.sample(ctx), proposedBy: name };
    // A plugin's answer is checked like a user's: a bad one must not reach the database.
    const params = isBuiltin(name) ? proposal.params : checkParams(this.space, proposal.params, `sampler ${name}`);
    const { proposedBy } = proposal;
    this.insert({ id, params, state: "running", loss: null, intermediate: [], constraints: null, proposedBy });
    return { id, params: { ...params }, proposedBy };
  }

  report(id: number, step: number, value: number): TReportResult {
    const t = this.running(id, "report");
    if (this.signs.length > 1)
      throw new OptimizerError("INVALID_STATE", "report: intermediate values need a single-objective study");
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0)
      badValue(`report(trial ${id}): step must be a non-negative integer (got ${String(step)})`);
    if (typeof value !== "number" || !Number.isFinite(value))
      badValue(`report(trial ${id}, step ${step}): value must be a finite number (got ${String(value)})`);
    const loss = value * this.signs[0]!;
    const iv = t.intermediate;
    let i = iv.length;
    while (i > 0 && iv[i - 1]![0] > step) i--;
    if (i > 0 && iv[i - 1]![0] === step) iv[i - 1] = [step, loss];
    else iv.splice(i, 0, [step, loss]);
    const reason = this.pruner.decide({ trial: t, step, trials: this.view(), sign: this.signs[0]!, space: this.space });
    return reason === null ? { prune: false } : { prune: true, reason };
  }

  tell(id: number, value: TValue | null, state: "complete" | "pruned" | "failed" = "complete", extra?: TTellExtra): void {
    const t = this.running(id, "tell");
    const at = `tell(trial ${id})`;
    const constraints = this.checkConstraints(extra?.constraints, state, at);
    let loss: number[] | null = null;
    if (state === "complete") {
      if (value === null || value === undefined) badValue(`${at}: a complete trial needs a value (tell it "failed" otherwise)`);
      loss = this.toLoss(value, at);
    } else if (state === "pruned") {
      if (value !== null && value !== undefined) loss = this.toLoss(value, at);
    } else if (state === "failed") {
      if (value !== null && value !== undefined) badValue(`${at}: a failed trial takes no value (pass null)`);
    } else {
      throw new OptimizerError(
        "INVALID_STATE",
        `${at}: state must be "complete", "pruned" or "failed" (got ${JSON.stringify(state)})`,
      );
    }
    t.state = state;
    t.loss = loss;
    t.constraints = constraints;
    if (constraints !== null) this.nConstraints = constraints.length;
  }

  /** Constraints are for finished trials with a result (Optuna asks them of complete and pruned ones). */
  private checkConstraints(value: unknown, state: TTrialState, at: string): number[] | null {
    const c = checkConstraints(value, at, this.nConstraints);
    if (c !== null && state !== "complete" && state !== "pruned")
      badValue(`${at}: a ${state} trial takes no constraints (only complete and pruned ones)`);
    return c;
  }

  addTrial(trial: THistoryTrial): void {
    if (typeof trial !== "object" || trial === null)
      throw new OptimizerError("INVALID_PARAMS", "addTrial: trial must be an object");
    const id = this.checkId(trial.id, "addTrial");
    const at = `addTrial(trial ${id})`;
    const params = checkParams(this.space, trial.params, at);
    if (!STATES.includes(trial.state))
      throw new OptimizerError(
        "INVALID_STATE",
        `${at}: state must be one of ${STATES.join(", ")} (got ${JSON.stringify(trial.state)})`,
      );
    const v = trial.value ?? null;
    let loss: number[] | null = null;
    if (trial.state === "complete") {
      if (v === null) badValue(`${at}: a complete trial needs a value`);
      loss = this.toLoss(v, at);
    } else if (trial.state === "pruned" && v !== null) loss = this.toLoss(v, at);
    else if (v !== null && trial.state !== "pruned") badValue(`${at}: a ${trial.state} trial takes no value`);
    const constraints = this.checkConstraints(trial.constraints, trial.state, at);
    const intermediate = checkIntermediate(trial.intermediate, this.signs, at);
    const proposedBy = trial.proposedBy ?? null;
    if (proposedBy !== null && (typeof proposedBy !== "string" || proposedBy.length > 64))
      throw new OptimizerError(
        "INVALID_PARAMS",
        `${at}: proposedBy must be a sampler's name (a string of at most 64 characters)`,
      );
    this.insert({ id, params, state: trial.state, loss, intermediate, constraints, proposedBy });
    if (constraints !== null) this.nConstraints = constraints.length;
  }

  bestTrials(): TBest[] {
    const done = this.view().filter(isFeasibleComplete);
    if (done.length === 0) return [];
    let front: TrialView[];
    if (this.signs.length === 1) {
      let b = done[0]!;
      for (const t of done) if (t.loss![0]! < b.loss![0]!) b = t;
      front = [b];
    } else {
      front = done.filter((a) => !done.some((b) => dominates(b.loss!, a.loss!)));
    }
    return front.map((t) => ({ id: t.id, params: { ...t.params }, value: this.fromLoss(t.loss!) }));
  }

  best(): TBest | null {
    // Multi-objective: the Pareto-optimal trial that is best on the first objective.
    const front = this.bestTrials();
    if (front.length === 0) return null;
    const first = (b: TBest): number => (Array.isArray(b.value) ? b.value[0]! : b.value) * this.signs[0]!;
    return front.reduce((a, b) => (first(b) < first(a) ? b : a));
  }

  bestPredicted(): (TBest & { predicted: number; noiseSd: number }) | null {
    if (this.signs.length !== 1) return null;
    const p = predictedBest(this.space, this.view());
    if (p === null) return null;
    const t = this.byId.get(p.id)!;
    const sign = this.signs[0]!;
    return {
      id: t.id,
      params: { ...t.params },
      value: this.fromLoss(t.loss!),
      predicted: p.predicted * sign,
      noiseSd: p.noiseSd,
    };
  }

  importance(options: TImportanceOptions = {}): Record<string, number> {
    const { objective = 0, method = "fanova" } = options;
    const n = this.signs.length;
    if (!Number.isInteger(objective) || objective < 0 || objective >= n)
      throw new OptimizerError(
        "INVALID_CONFIG",
        `importance: objective must be an integer from 0 to ${n - 1} (got ${JSON.stringify(objective)})`,
      );
    if (method === "ped-anova") return pedAnovaImportance(this.space, this.view(), objective);
    if (method !== "fanova")
      throw new OptimizerError(
        "INVALID_CONFIG",
        `importance: method must be one of ${IMPORTANCE_METHODS.join(", ")} (got ${JSON.stringify(method)})`,
      );
    return computeImportance(this.space, this.view(), hashSeed(this.seed, 0x1a9), objective);
  }

  improvement(): TImprovementPoint[] {
    if (this.signs.length !== 1) return [];
    return improvementHistory(this.space, this.view(), hashSeed(this.seed, 0x7e5));
  }

  improvementNow(): TImprovementPoint[] {
    if (this.signs.length !== 1) return [];
    const view = this.view();
    const bound = regretBound(this.space, view, hashSeed(this.seed, 0x7e5));
    const counted = view.filter(isFeasibleComplete).length;
    return bound === null ? [] : [{ trials: counted, bound }];
  }

  trials(states?: readonly TTrialState[]): THistoryTrial[] {
    const view = states === undefined ? this.view() : this.view().filter((t) => states.includes(t.state));
    return view.map((t) => ({
      id: t.id,
      params: { ...t.params },
      state: t.state,
      value: t.loss === null ? null : this.fromLoss(t.loss),
      intermediate: t.intermediate.map(([s, v]) => [s, v * this.signs[0]!] as [number, number]),
      ...(t.constraints === null ? {} : { constraints: [...t.constraints] }),
      ...(t.proposedBy ? { proposedBy: t.proposedBy } : {}),
    }));
  }

  portfolio(): TPortfolioPoint[] {
    return this.sampler instanceof AutoSampler ? this.sampler.history(this.view(), this.seed) : [];
  }

  handover(): THandover | null {
    return this.sampler instanceof AutoSampler ? this.sampler.handoverOf(this.view()) : null;
  }

  serialize(): TSerializedOptimizer {
    return { version: 1, config: structuredClone(this.cfg), trials: this.trials() };
  }
}

const BUILTIN_SAMPLERS: ReadonlySet<string> = new Set(SAMPLER_NAMES);
function isBuiltin(name: string): boolean {
  return BUILTIN_SAMPLERS.has(name);
}

export function createOptimizer(config: TOptimizerConfig): Optimizer {
  return new OptimizerImpl(config);
}

export function restoreOptimizer(state: unknown): Optimizer {
  const s = state as TSerializedOptimizer;
  if (typeof s !== "object" || s === null || s.version !== 1 || typeof s.config !== "object" || !Array.isArray(s.trials))
    throw new OptimizerError("INVALID_STATE", "restoreOptimizer: not a serialized optimizer (version 1)");
  const opt = createOptimizer(s.config);
  for (const t of s.trials) opt.addTrial(t);
  return opt;
}

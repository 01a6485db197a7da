import { z } from "zod";
import { builtinKind, builtinMetrics, type TBuiltinDataset, type TBuiltinTrainer } from "./builtin.js";

/**
 * The study spec's objectives and constraints (`objective` or `objectives`, `constraints`), the
 * checks that tie them to the rest of the spec, and how a trial's metrics become its values.
 */

export const ZObjective = z
  .object({
    metric: z.string().min(1).max(100),
    direction: z.enum(["minimize", "maximize"]),
  })
  .strict();

/**
 * At most 4 objectives: the hypervolume (exact, HSO) costs f^(d-1) for a front of f points,
 * 0.24 s for 300 points in 4 objectives on the dev box; a fifth would multiply that by f.
 */
export const MAX_OBJECTIVES = 4;
/** Constraints a study may declare (each is one more violation the samplers weigh). */
export const MAX_CONSTRAINTS = 10;

export const ZObjectives = z
  .array(ZObjective)
  .min(2, "needs at least 2 objectives; give one as objective: {metric, direction}")
  .max(MAX_OBJECTIVES, `has more than ${MAX_OBJECTIVES} objectives`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      if (seen.has(o.metric)) ctx.addIssue({ code: "custom", path: [i, "metric"], message: `repeats the metric "${o.metric}"` });
      seen.add(o.metric);
    });
  });

/**
 * A trial is feasible when every constraint's metric lies within its bounds; its violation is
 * value − max or min − value (≤ 0 satisfied: Optuna's constraints_func convention).
 */
export const ZConstraint = z
  .object({
    metric: z.string().min(1).max(100),
    max: z.number().finite().optional(),
    min: z.number().finite().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.max === undefined && c.min === undefined) ctx.addIssue({ code: "custom", message: "needs max, min or both" });
    if (c.max !== undefined && c.min !== undefined && c.min > c.max)
      ctx.addIssue({ code: "custom", path: ["min"], message: "must not be greater than max" });
  });
export type TConstraint = z.infer<typeof ZConstraint>;

export const ZConstraints = z.array(ZConstraint).min(1).max(MAX_CONSTRAINTS, `has more than ${MAX_CONSTRAINTS} constraints`);

/** What checkObjectives and checkBuiltinMetrics read of a spec. */
interface TObjectiveFields {
  objective?: z.infer<typeof ZObjective> | undefined;
  objectives?: Array<z.infer<typeof ZObjective>> | undefined;
  constraints?: TConstraint[] | undefined;
  pruner: { name: string; objective?: string | undefined };
  budget: { stop_when?: unknown };
  register?: unknown;
  run?: { builtin?: { trainer: TBuiltinTrainer; dataset: TBuiltinDataset } | undefined } | undefined;
}

/** `objective` xor `objectives`, and what several objectives rule out (a single best value). */
export function checkObjectives(spec: TObjectiveFields, ctx: z.RefinementCtx): void {
  if ((spec.objective === undefined) === (spec.objectives === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [spec.objective === undefined ? "objective" : "objectives"],
      message:
        spec.objective === undefined
          ? "is required: give objective: {metric, direction}, or objectives: [...] for several"
          : "cannot be combined with objectives: give exactly one of objective or objectives",
    });
    return;
  }
  const metrics = (spec.objectives ?? []).map((o) => o.metric);
  const pruneOn = spec.pruner.objective;
  if (metrics.length < 2) {
    if (pruneOn !== undefined)
      ctx.addIssue({ code: "custom", path: ["pruner", "objective"], message: "applies to multi-objective studies only" });
    return;
  }
  const list = metrics.join(", ");
  if (spec.budget.stop_when)
    ctx.addIssue({
      code: "custom",
      path: ["budget", "stop_when"],
      message: `needs a single objective: the improvement-left estimate has no meaning over a Pareto front of ${list}`,
    });
  if (spec.register)
    ctx.addIssue({
      code: "custom",
      path: ["register"],
      message: "needs a single objective: a multi-objective study has no one best trial; register a Pareto trial instead",
    });
  if (spec.pruner.name !== "none") {
    if (pruneOn === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["pruner", "objective"],
        message: `is required with several objectives: name the one the pruner reads (one of ${list}), or use pruner name none`,
      });
    else if (!metrics.includes(pruneOn))
      ctx.addIssue({
        code: "custom",
        path: ["pruner", "objective"],
        message: `"${pruneOn}" is not one of the objectives (${list})`,
      });
  }
}

/** A built-in trainer reports a fixed set of metrics: every objective and constraint must be one. */
export function checkBuiltinMetrics(spec: TObjectiveFields, ctx: z.RefinementCtx): void {
  const b = spec.run?.builtin;
  if (!b || builtinKind(b.trainer, b.dataset) === null) return;
  const metrics = builtinMetrics(b.trainer, b.dataset);
  const named: Array<{ path: (string | number)[]; metric: string }> = [
    ...(spec.objective ? [{ path: ["objective", "metric"], metric: spec.objective.metric }] : []),
    ...(spec.objectives ?? []).map((o, i) => ({ path: ["objectives", i, "metric"], metric: o.metric })),
    ...(spec.constraints ?? []).map((c, i) => ({ path: ["constraints", i, "metric"], metric: c.metric })),
  ];
  for (const n of named) {
    if (metrics.includes(n.metric)) continue;
    ctx.addIssue({
      code: "custom",
      path: n.path,
      message: `run.builtin (${b.trainer} on ${b.dataset}) reports ${metrics.join(", ")}; "${n.metric}" is not one of them`,
    });
  }
}

/** A study's objectives in spec order: `objectives`, or the one `objective`. */
export function objectivesOf(spec: Pick<TObjectiveFields, "objective" | "objectives">): Array<z.infer<typeof ZObjective>> {
  return spec.objectives ?? (spec.objective ? [spec.objective] : []);
}

/** The first objective: the one `studies.metric/direction`, the history chart and the lease payload carry. */
export function primaryObjective(spec: Pick<TObjectiveFields, "objective" | "objectives">): z.infer<typeof ZObjective> {
  const first = objectivesOf(spec)[0];
  if (!first) throw new Error("the study spec has no objective");
  return first;
}

/**
 * Each constraint's violation for a trial's metrics (value − max, min − value, the larger when
 * both bounds are given; ≤ 0 satisfied), in spec order; the first constraint metric the trial
 * did not report when one is missing.
 */
export function constraintViolations(
  constraints: readonly TConstraint[],
  metrics: Readonly<Record<string, number | undefined>>,
): { violations: number[] } | { missing: string } {
  const violations: number[] = [];
  for (const c of constraints) {
    const v = metrics[c.metric];
    if (v === undefined) return { missing: c.metric };
    violations.push(Math.max(c.max === undefined ? -Infinity : v - c.max, c.min === undefined ? -Infinity : c.min - v));
  }
  return { violations };
}

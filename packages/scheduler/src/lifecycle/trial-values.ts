import { constraintViolations, objectivesOf, type TConstraint, type TStudySpec } from "@autoglm/protocol";

/** The metrics a study reads off a finished trial: each objective's, then each constraint's. */
export interface TValueMetrics {
  objectives: string[];
  constraints: TConstraint[];
}

export function valueMetricsOf(spec: Pick<TStudySpec, "objective" | "objectives" | "constraints">): TValueMetrics {
  return { objectives: objectivesOf(spec).map((o) => o.metric), constraints: spec.constraints ?? [] };
}

/** What a study stores of a finished trial: its first objective's value, all of them, and the constraint violations. */
export interface TTrialValues {
  value: number;
  values: number[];
  /** Null when the study has no constraints. */
  constraintValues: number[] | null;
}

export type TReadValues =
  ({ ok: true } & TTrialValues) | { ok: false; code: "USER_NO_OBJECTIVE" | "USER_NO_CONSTRAINT_METRIC"; metric: string };

/**
 * Reads a trial's values off its reported metrics (the final line over the last value of each
 * metric). Every objective and every constraint metric must be there: a trial whose
 * feasibility is unknown is not kept as a result (it fails, naming the metric), so it can
 * neither become best nor mislead a sampler.
 */
export function readTrialValues(vm: TValueMetrics, metrics: Readonly<Record<string, number | undefined>>): TReadValues {
  const values: number[] = [];
  for (const metric of vm.objectives) {
    const v = metrics[metric];
    if (v === undefined) return { ok: false, code: "USER_NO_OBJECTIVE", metric };
    values.push(v);
  }
  if (vm.constraints.length === 0) return { ok: true, value: values[0]!, values, constraintValues: null };
  const c = constraintViolations(vm.constraints, metrics);
  if ("missing" in c) return { ok: false, code: "USER_NO_CONSTRAINT_METRIC", metric: c.missing };
  return { ok: true, value: values[0]!, values, constraintValues: c.violations };
}

/** The end reason of a completion that lacks a metric, naming it. */
export function missingMetricReason(r: { code: "USER_NO_OBJECTIVE" | "USER_NO_CONSTRAINT_METRIC"; metric: string }): string {
  return r.code === "USER_NO_OBJECTIVE"
    ? `the command exited 0 but reported no value of "${r.metric}"`
    : `the command exited 0 but reported no value of "${r.metric}", which a constraint bounds: its feasibility is unknown`;
}

import type { RouterOutputs } from "@/lib/trpc";

export type TStudy = RouterOutputs["study"]["get"];

/** The parts of a study's spec the page shows (the API hands the spec back as it was applied). */
export interface StudySpecView {
  objective?: { metric?: string; direction?: string };
  /** A multi-objective study's objectives (then `objective` is absent from the stored spec). */
  objectives?: Array<{ metric?: string; direction?: string }>;
  constraints?: Array<{ metric: string; min?: number; max?: number }>;
  /** `noise: true`: the objective is noisy (gp, auto); the page shows the best predicted trial. */
  sampler?: { name?: string; seed?: number; noise?: boolean };
  budget?: { max_trials?: number; max_parallel?: number };
  run?: { env?: Record<string, string> };
}

/**
 * The spec with `objective` set to the first of `objectives` for a multi-objective study: the
 * page's history, rank and stats cards show that one (as `studies.metric` does).
 */
export function withPrimaryObjective(spec: StudySpecView): StudySpecView {
  return spec.objective || !spec.objectives?.length ? spec : { ...spec, objective: spec.objectives[0] };
}

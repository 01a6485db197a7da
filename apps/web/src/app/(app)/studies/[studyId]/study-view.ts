import type { RouterOutputs } from "@/lib/trpc";

export type TStudy = RouterOutputs["study"]["get"];

/** The parts of a study's spec the page shows (the API hands the spec back as it was applied). */
export interface StudySpecView {
  objective?: { metric?: string; direction?: string };
  sampler?: { name?: string; seed?: number };
  budget?: { max_trials?: number; max_parallel?: number };
  run?: { env?: Record<string, string> };
}

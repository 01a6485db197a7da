/** One colour per compared study, distinct on white and for the common colour-vision deficiencies. */
export const STUDY_COLORS = ["#6366f1", "#16a34a", "#f59e0b", "#dc2626", "#0891b2", "#9333ea", "#db2777", "#65a30d"];

/** At most this many studies side by side: more lines than colours stop being readable. */
export const MAX_COMPARED = STUDY_COLORS.length;

/** `?studies=a,b,c` → the distinct ids, in order, at most MAX_COMPARED. */
export function comparedIds(param: string | null): string[] {
  const ids = (param ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [...new Set(ids)].slice(0, MAX_COMPARED);
}

/**
 * The best-so-far line of a study's history, thinned to the points where it changes (and its last
 * point, so the line reaches the study's last trial): a step line drawn through these looks the
 * same as through every trial, and 100,000 trials rarely make more than a few dozen changes.
 */
export function bestSoFarSteps(
  history: ReadonlyArray<{ number: number; best: number | null }>,
): Array<{ number: number; best: number }> {
  const out: Array<{ number: number; best: number }> = [];
  let lastNumber: number | null = null;
  for (const h of history) {
    if (h.best === null) continue;
    lastNumber = h.number;
    if (out.length === 0 || out[out.length - 1]!.best !== h.best) out.push({ number: h.number, best: h.best });
  }
  const last = out[out.length - 1];
  if (last && lastNumber !== null && lastNumber !== last.number) out.push({ number: lastNumber, best: last.best });
  return out;
}

export interface ComparedStudy {
  id: string;
  name: string;
  metric: string;
  direction: string;
  bestParams: Readonly<Record<string, unknown>> | null;
}

/** Rows of the best-params table: every parameter any study has, and whether the studies' best values differ. */
export function bestParamRows(studies: readonly ComparedStudy[]): Array<{ name: string; values: unknown[]; differs: boolean }> {
  const names = [...new Set(studies.flatMap((s) => Object.keys(s.bestParams ?? {})))].sort();
  return names.map((name) => {
    const values = studies.map((s) => s.bestParams?.[name]);
    const differs = values.some((v) => JSON.stringify(v ?? null) !== JSON.stringify(values[0] ?? null));
    return { name, values, differs };
  });
}

/** A sentence when the studies do not optimize the same metric in the same direction; null when they do. */
export function objectiveMismatch(studies: readonly ComparedStudy[]): string | null {
  const objectives = new Set(studies.map((s) => `${s.direction} ${s.metric}`));
  if (objectives.size <= 1) return null;
  const each = studies.map((s) => `${s.name} ${s.direction}s ${s.metric}`).join("; ");
  return `These studies do not share one objective (${each}): their lines share an axis but their values are not comparable.`;
}

import type { RouterOutputs } from "./trpc";

export type TModelDetail = RouterOutputs["model"]["get"];
export type TModelVersion = TModelDetail["versions"][number];

/** A model's page path; names are URL-safe by their rule (`[A-Za-z0-9._-]`), encoded anyway. */
export function modelPath(name: string): string {
  return `/models/${encodeURIComponent(name)}`;
}

/** A model name derived from a study's: invalid characters become '-', at most 64 (the name rule's bounds). */
export function suggestModelName(studyName: string | undefined): string {
  const cleaned = (studyName ?? "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return cleaned || "model";
}

/** A version's metrics, its study's objective metric first (what the study ranked it by), the rest by name. */
export function orderedMetrics(version: Pick<TModelVersion, "metrics" | "lineage">): Array<[string, number]> {
  const objective = version.lineage.objective.metric;
  return Object.entries(version.metrics).sort(([a], [b]) => {
    if (a === objective) return -1;
    if (b === objective) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** The first `limit` params for a table cell (4: what fits a 130-column row beside the metrics), and how many more there are. */
export function keyParams(params: Record<string, unknown>, limit = 4): { shown: Array<[string, unknown]>; more: number } {
  const all = Object.entries(params);
  return { shown: all.slice(0, limit), more: Math.max(0, all.length - limit) };
}

/**
 * The objective metric by version for the chart: the metric and direction of the newest live
 * version's study, and every live version that reported that metric (versions registered from
 * another study with another objective are left out rather than mixed in).
 */
export function objectiveSeries(versions: TModelVersion[]): {
  metric: string;
  direction: "minimize" | "maximize";
  points: Array<{ version: number; value: number }>;
} | null {
  const live = versions.filter((v) => !v.deletedAt);
  const newest = live.at(-1);
  if (!newest) return null;
  const { metric, direction } = newest.lineage.objective;
  const points = live.flatMap((v) => {
    const value = v.metrics[metric];
    return typeof value === "number" && Number.isFinite(value) ? [{ version: v.version, value }] : [];
  });
  return { metric, direction, points };
}

/** Two refs for model.compare: the two newest live versions, older on the left. */
export function defaultComparePair(versions: TModelVersion[]): [number, number] | null {
  const live = versions.filter((v) => !v.deletedAt).map((v) => v.version);
  if (live.length < 2) return null;
  return [live[live.length - 2]!, live[live.length - 1]!];
}

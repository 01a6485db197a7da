import parsePrometheusTextFormat from "parse-prometheus-text-format";

export type TScrape = ReturnType<typeof parsePrometheusTextFormat>;

/**
 * The Prometheus text format, parsed. The parser folds a histogram's labelled samples into one
 * (it keeps only the last label set's buckets), so histograms lose their HELP/TYPE lines first
 * and read as their plain `_bucket`, `_sum` and `_count` series, each sample with its labels.
 */
export function parseScrape(text: string): TScrape {
  const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
  const kept = text.split("\n").filter((line) => {
    const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    return !(m && histograms.has(m[1]!));
  });
  // Each histogram stays listed (without samples) under its own name, observed or not.
  const declared = [...histograms].map((name) => ({ name, help: "", type: "HISTOGRAM" as const, metrics: [] }));
  return [...parsePrometheusTextFormat(kept.join("\n")), ...declared];
}

/** GETs a /metrics URL and parses it; throws unless it answers 200. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<TScrape> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return parseScrape(await res.text());
}

/** The metric names a scrape exposes: each series' name, and a histogram's own name beside its `_bucket`/`_sum`/`_count`. */
export function metricNames(families: TScrape): Set<string> {
  return new Set(families.flatMap((f) => [f.name, f.name.replace(/_(bucket|sum|count)$/, "")]));
}

/**
 * The sum of `name`'s samples whose labels include `labels` (0 when none match); a histogram is
 * read as `<name>_count`. Untyped series come as one family per run of lines, so every family of
 * the name counts.
 */
export function total(families: TScrape, name: string, labels: Record<string, string> = {}): number {
  const own = families.filter((f) => f.name === name);
  if (own.length === 0) throw new Error(`no ${name} in the scrape`);
  const read = own.some((f) => f.type === "HISTOGRAM") ? families.filter((f) => f.name === `${name}_count`) : own;
  return read
    .flatMap((f) => f.metrics)
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

/** Every label value of every series. */
export function labelValues(families: TScrape): string[] {
  return families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
}

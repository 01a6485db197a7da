import parsePrometheusTextFormat from "parse-prometheus-text-format";

/**
 * The Prometheus text format, parsed. The parser folds a histogram's labelled samples into one
 * (it keeps only the last label set's buckets), so histograms lose their HELP/TYPE lines first
 * and read as their plain `_bucket`, `_sum` and `_count` series, each sample with its labels.
 * @param {string} text
 * @returns {import("./index.js").TScrape}
 */
export function parseScrape(text) {
  const histograms = new Set([...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => /** @type {string} */ (m[1])));
  const kept = text.split("\n").filter((line) => {
    const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    return !(m && histograms.has(/** @type {string} */ (m[1])));
  });
  // Each histogram stays listed (without samples) under its own name, observed or not.
  const declared = [...histograms].map((name) => ({ name, help: "", type: /** @type {const} */ ("HISTOGRAM"), metrics: [] }));
  const parsed = /** @type {import("./index.js").TScrape} */ (parsePrometheusTextFormat(kept.join("\n")));
  return [...parsed, ...declared];
}

/**
 * GETs a /metrics URL and parses it; throws unless it answers 200.
 * @param {string} url
 * @param {Record<string, string>} [headers]
 */
export async function scrape(url, headers = {}) {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return parseScrape(await res.text());
}

/**
 * The metric names a scrape exposes: each series' name, and a histogram's own name beside its `_bucket`/`_sum`/`_count`.
 * @param {import("./index.js").TScrape} families
 */
export function metricNames(families) {
  return new Set(families.flatMap((f) => [f.name, f.name.replace(/_(bucket|sum|count)$/, "")]));
}

/**
 * The sum of `name`'s samples whose labels include `labels` (0 when none match); a histogram is
 * read as `<name>_count`. Untyped series come as one family per run of lines, so every family of
 * the name counts.
 * @param {import("./index.js").TScrape} families
 * @param {string} name
 * @param {Record<string, string>} [labels]
 */
export function total(families, name, labels = {}) {
  const own = families.filter((f) => f.name === name);
  if (own.length === 0) throw new Error(`no ${name} in the scrape`);
  const read = own.some((f) => f.type === "HISTOGRAM") ? families.filter((f) => f.name === `${name}_count`) : own;
  return read
    .flatMap((f) => f.metrics)
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}

/**
 * Every label value of every series.
 * @param {import("./index.js").TScrape} families
 */
export function labelValues(families) {
  return families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
}

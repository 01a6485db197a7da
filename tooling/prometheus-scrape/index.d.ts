/** One sample of a series, as parse-prometheus-text-format returns it (values as text). */
export interface TPromSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

/** One metric family of a scrape. */
export interface TPromFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: TPromSample[];
}

export type TScrape = TPromFamily[];

export function parseScrape(text: string): TScrape;
export function scrape(url: string, headers?: Record<string, string>): Promise<TScrape>;
export function metricNames(families: TScrape): Set<string>;
export function total(families: TScrape, name: string, labels?: Record<string, string>): number;
export function labelValues(families: TScrape): string[];

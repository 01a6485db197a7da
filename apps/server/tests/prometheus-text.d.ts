// parse-prometheus-text-format ships no types: the shape of what it returns.
declare module "parse-prometheus-text-format" {
  interface TPromSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  interface TPromFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: TPromSample[];
  }
  export default function parsePrometheusTextFormat(text: string): TPromFamily[];
}

// parse-prometheus-text-format ships no types: what it returns, loosely (index.d.ts has the
// exact shape this package hands out).
declare module "parse-prometheus-text-format" {
  export default function parsePrometheusTextFormat(
    text: string,
  ): Array<{ name: string; help: string; type: string; metrics: Array<Record<string, unknown>> }>;
}

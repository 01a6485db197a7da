import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./tools.js";

/** PromQL's words that look like metric names: aggregations' clauses and the binary operators. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
]);

interface TPanel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
  panels?: TPanel[];
}

/** Every PromQL expression of infra/grafana/dashboards/autoglm.json, by panel title (rows' nested panels included). */
export function dashboardExprs(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(path.join(repoRoot, "infra/grafana/dashboards/autoglm.json"), "utf8")) as {
    panels: TPanel[];
  };
  const out: { panel: string; expr: string }[] = [];
  const visit = (panels: TPanel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? "(untitled)", expr: t.expr });
      visit(p.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return out;
}

/**
 * The metric names a PromQL expression reads: identifiers once strings, label matchers
 * (`{…}`), grouping lists (`by (…)`), ranges (`[5m]`) and function calls are taken out.
 */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ");
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!);
  return [...new Set(names.filter((n) => !KEYWORDS.has(n)))];
}

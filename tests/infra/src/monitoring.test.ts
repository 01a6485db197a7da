import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { dashboardExprs, metricNamesOf } from "./monitoring.js";
import { repoRoot, run, tool } from "./tools.js";

/**
 * The monitoring files of infra/: the alert rules checked and unit-tested by promtool, the
 * Grafana dashboard provisioned where docker-compose.yml mounts it. That every panel's metrics
 * exist in a real scrape is checked by chart-contract.test.ts, which runs the server and agent.
 */
const promtool = tool("promtool");
if ("skip" in promtool) console.log(`SKIPPED the promtool checks: ${promtool.skip}`);
const prometheusDir = path.join(repoRoot, "infra/prometheus");

describe.skipIf("skip" in promtool)("Prometheus alert rules", () => {
  const bin = "path" in promtool ? promtool.path : "";

  it("pass `promtool check rules`", () => {
    expect(run(bin, ["check", "rules", "alerts.yml"], { cwd: prometheusDir })).toContain("SUCCESS: 5 rules found");
  });

  it("pass their unit tests (`promtool test rules alerts.test.yml`): each fires on its failure, after its `for`", () => {
    expect(run(bin, ["test", "rules", "alerts.test.yml"], { cwd: prometheusDir })).toContain("SUCCESS");
  });

  it("are loaded by prometheus.yml, which scrapes the metrics ports of the server and the agent", () => {
    expect(run(bin, ["check", "config", "prometheus.yml"], { cwd: prometheusDir })).toContain("SUCCESS");
    const config = YAML.parse(readFileSync(path.join(prometheusDir, "prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toEqual(["alerts.yml"]);
    expect(Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]))).toEqual({
      "open-autoglm-server": ["server:9464"],
      "open-autoglm-agent": ["agent:9465"],
    });
  });
});

describe("the Grafana dashboard", () => {
  it("has a query in every panel, and the provisioning file loads it from where compose mounts it", () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(20);
    for (const { panel, expr } of exprs) expect(metricNamesOf(expr).length, panel).toBeGreaterThan(0);
    const provider = YAML.parse(
      readFileSync(path.join(repoRoot, "infra/grafana/provisioning/dashboards/autoglm.yml"), "utf8"),
    ) as { providers: { options: { path: string } }[] };
    const compose = readFileSync(path.join(repoRoot, "infra/docker-compose.yml"), "utf8");
    expect(compose).toContain(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
  });

  it("reads metric names out of PromQL: not functions, label names, grouping lists, ranges or numbers", () => {
    expect(
      metricNamesOf('histogram_quantile(0.99, sum by (le, route) (rate(autoglm_x_bucket{status=~"5.."}[5m]))) > 0.5'),
    ).toEqual(["autoglm_x_bucket"]);
    expect(metricNamesOf("(max by (team) (a_b) > 0) unless on (team) (max by (team) (c:d) > 0)")).toEqual(["a_b", "c:d"]);
  });
});

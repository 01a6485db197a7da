import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { find, renderChart, type K8sObject } from "./chart.js";
import { chartDir, run, schemaKubeVersions, tool, VALUE_FILES } from "./tools.js";

/**
 * The Helm chart: `helm lint` and `helm template` for the default values and each CI value
 * file, every rendered manifest validated by kubeconform against the Kubernetes schemas
 * (strict: unknown fields are errors) of the oldest and newest Kubernetes we support.
 */
const helm = tool("helm");
const kubeconform = tool("kubeconform");
const schemas = tool("schemas");
const scratch = mkdtempSync(path.join(tmpdir(), "autoglm-chart-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

for (const [name, t] of Object.entries({ helm, kubeconform, schemas })) {
  if ("skip" in t) console.log(`SKIPPED chart checks that need ${name}: ${t.skip}`);
}

const cases: { name: string; valueFiles: string[] }[] = [
  { name: "default values", valueFiles: [] },
  ...VALUE_FILES.map((f) => ({ name: f, valueFiles: [`ci/${f}`] })),
];

describe.skipIf("skip" in helm)("helm chart", () => {
  const helmBin = "path" in helm ? helm.path : "";

  describe.each(cases)("$name", ({ valueFiles }) => {
    it("passes helm lint --strict", () => {
      const out = run(helmBin, [
        "lint",
        "--strict",
        chartDir,
        ...valueFiles.flatMap((f) => ["--values", path.join(chartDir, f)]),
      ]);
      expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    });

    it.skipIf("skip" in kubeconform || "skip" in schemas)("renders manifests that kubeconform accepts", () => {
      const objects = renderChart(helmBin, { valueFiles });
      expect(objects.length).toBeGreaterThan(3);
      const file = path.join(scratch, `${valueFiles[0]?.replace(/\W/g, "_") ?? "default"}.yaml`);
      writeFileSync(
        file,
        run(helmBin, ["template", "contract", chartDir, ...valueFiles.flatMap((f) => ["--values", path.join(chartDir, f)])]),
      );
      for (const version of schemaKubeVersions()) {
        const out = run("path" in kubeconform ? kubeconform.path : "", [
          "-strict",
          "-summary",
          "-kubernetes-version",
          version,
          "-schema-location",
          `${"path" in schemas ? schemas.path : ""}/{{.NormalizedKubernetesVersion}}-local-strict/{{.ResourceKind}}{{.KindSuffix}}.json`,
          file,
        ]);
        // Every object validated: none skipped for want of a schema, none invalid.
        expect(out).toContain(
          `${objects.length} resources found in 1 file - Valid: ${objects.length}, Invalid: 0, Errors: 0, Skipped: 0`,
        );
      }
    });
  });

  it("runs one migration path: no hook Job, the server's advisory lock (values.yaml says so)", () => {
    for (const { valueFiles } of cases) {
      const objects = renderChart(helmBin, { valueFiles });
      expect(objects.filter((o) => o.kind === "Job" || o.metadata.annotations?.["helm.sh/hook"])).toEqual([]);
    }
  });

  it("fails with the setting's name when no database is configured", () => {
    expect(() => renderChart(helmBin, { set: ["database.existingSecret="] })).toThrow(/database\.existingSecret: name a Secret/);
  });

  it("generates AUTH_SECRET and the bundled database password once, and keeps them on uninstall", () => {
    const objects = renderChart(helmBin, { valueFiles: ["ci/bundled-postgres-values.yaml"] });
    const auth = find(objects, "Secret", "-auth");
    const pg = find(objects, "Secret", "-postgresql");
    for (const secret of [auth, pg]) expect(secret.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(Buffer.from(auth.data!.AUTH_SECRET!, "base64").toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    const password = Buffer.from(pg.data!.POSTGRES_PASSWORD!, "base64").toString();
    expect(Buffer.from(pg.data!.DATABASE_URL!, "base64").toString()).toBe(
      `postgres://autoglm:${password}@contract-open-autoglm-postgresql:5432/autoglm`,
    );
    // The server reads both from those Secrets; the operator's own Secret replaces the generated one.
    const env = serverEnv(objects);
    expect(env.AUTH_SECRET).toEqual({ secretKeyRef: { name: auth.metadata.name, key: "AUTH_SECRET" } });
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: pg.metadata.name, key: "DATABASE_URL" } });
    const own = renderChart(helmBin, { set: ["auth.existingSecret=my-auth"] });
    expect(own.some((o) => o.metadata.name.endsWith("-auth"))).toBe(false);
    expect(serverEnv(own).AUTH_SECRET).toEqual({ secretKeyRef: { name: "my-auth", key: "AUTH_SECRET" } });
  });

  it("keeps the ServiceMonitor off by default, and when on it scrapes the server Service's port", () => {
    expect(renderChart(helmBin).some((o) => o.kind === "ServiceMonitor")).toBe(false);
    const objects = renderChart(helmBin, { set: ["metrics.serviceMonitor.enabled=true"] });
    const monitor = find(objects, "ServiceMonitor") as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    };
    const service = find(objects, "Service") as K8sObject & {
      spec: { ports: { name: string }[] };
    };
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
  });

  it("scrapes the servers' and the agents' metrics ports as the jobs the alerts and the dashboard expect", () => {
    const objects = renderChart(helmBin, {
      valueFiles: ["ci/gpu-agents-values.yaml"],
      set: ["metrics.serviceMonitor.enabled=true"],
    });
    type TMonitor = K8sObject & {
      spec: {
        endpoints?: { port: string; relabelings: { targetLabel: string; replacement: string }[] }[];
        podMetricsEndpoints?: { port: string; relabelings: { targetLabel: string; replacement: string }[] }[];
      };
    };
    type TPod = K8sObject & { spec: { template: { spec: { containers: { ports: { name: string }[] }[] } } } };
    const server = (find(objects, "ServiceMonitor") as TMonitor).spec.endpoints![0]!;
    const agent = (find(objects, "PodMonitor") as TMonitor).spec.podMetricsEndpoints![0]!;
    expect([server.port, server.relabelings]).toEqual(["metrics", [{ targetLabel: "job", replacement: "open-autoglm-server" }]]);
    expect([agent.port, agent.relabelings]).toEqual(["metrics", [{ targetLabel: "job", replacement: "open-autoglm-agent" }]]);
    for (const [kind, suffix] of [
      ["Deployment", "-server"],
      ["DaemonSet", "-agent"],
    ] as const) {
      const ports = (find(objects, kind, suffix) as TPod).spec.template.spec.containers[0]!.ports.map((p) => p.name);
      expect(ports).toContain("metrics");
    }
    // Without agents, no PodMonitor.
    const serverOnly = renderChart(helmBin, { set: ["metrics.serviceMonitor.enabled=true"] });
    expect(serverOnly.some((o) => o.kind === "PodMonitor")).toBe(false);
  });

  it("puts GPU agents on GPU nodes with their GPUs, a toleration and the token from a Secret", () => {
    const objects = renderChart(helmBin, { valueFiles: ["ci/gpu-agents-values.yaml"] });
    const agent = find(objects, "DaemonSet", "-agent") as K8sObject & {
      spec: {
        template: {
          spec: {
            nodeSelector: Record<string, string>;
            tolerations: { key: string }[];
            containers: {
              resources: { limits: Record<string, unknown> };
              args: string[];
              env: { name: string; valueFrom?: unknown }[];
            }[];
          };
        };
      };
    };
    const pod = agent.spec.template.spec;
    // Helm merges the file's selector into the default one: GPU nodes, and of them the A100s.
    expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB" });
    expect(pod.tolerations.map((t) => t.key)).toContain("nvidia.com/gpu");
    expect(pod.containers[0]!.resources.limits["nvidia.com/gpu"]).toBe(2);
    expect(pod.containers[0]!.args).toEqual(expect.arrayContaining(["--label", "pool=a100", "--max-trials", "2"]));
    expect(pod.containers[0]!.env.find((e) => e.name === "AUTOGLM_TOKEN")?.valueFrom).toEqual({
      secretKeyRef: { name: "autoglm-agent-token", key: "AUTOGLM_TOKEN" },
    });
  });
});

function serverEnv(objects: K8sObject[]): Record<string, unknown> {
  const deployment = find(objects, "Deployment", "-server") as K8sObject & {
    spec: { template: { spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] } } };
  };
  return Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.valueFrom]));
}

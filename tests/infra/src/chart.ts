import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { ContainerSpec } from "./pod.js";
import { chartDir, run } from "./tools.js";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface PodTemplate {
  spec: {
    containers: ContainerSpec[];
    securityContext?: { runAsUser?: number; runAsNonRoot?: boolean };
    nodeSelector?: Record<string, string>;
  };
}

export const RELEASE = "contract";
export const NAMESPACE = "autoglm";

/** `helm template` of the chart with the given value files (relative to the chart) and --set pairs. */
export function renderChart(helm: string, options: { valueFiles?: string[]; set?: string[] } = {}): K8sObject[] {
  const args = ["template", RELEASE, chartDir, "--namespace", NAMESPACE];
  for (const f of options.valueFiles ?? []) args.push("--values", path.join(chartDir, f));
  for (const s of options.set ?? []) args.push("--set", s);
  return parseManifests(run(helm, args));
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export function find(objects: K8sObject[], kind: string, nameSuffix = ""): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (!found) throw new Error(`no ${kind} *${nameSuffix} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}

export function podTemplate(workload: K8sObject): PodTemplate {
  return (workload.spec as { template: PodTemplate }).template;
}

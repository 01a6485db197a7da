import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const chartDir = path.join(repoRoot, "infra/helm/open-autoglm");
const INSTALL = path.join(repoRoot, "infra/tools/install.sh");

/** The versions infra/tools/install.sh pins, read from it so the two never disagree. */
function pinned(name: string): string {
  const m = new RegExp(`^${name}=(\\S+)`, "m").exec(readFileSync(INSTALL, "utf8"));
  if (!m) throw new Error(`${INSTALL} pins no ${name}`);
  return m[1]!;
}

export const toolsDir =
  process.env.AUTOGLM_TOOLS_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "autoglm-tools");

export type TTool = "helm" | "kubeconform" | "schemas" | "hadolint" | "promtool";

function toolPath(tool: TTool): string {
  switch (tool) {
    case "helm":
      return path.join(toolsDir, `helm-${pinned("HELM_VERSION")}`, "helm");
    case "kubeconform":
      return path.join(toolsDir, `kubeconform-${pinned("KUBECONFORM_VERSION")}`, "kubeconform");
    case "schemas":
      return path.join(toolsDir, `kubernetes-json-schema-${pinned("SCHEMAS_VERSION")}`);
    case "hadolint":
      return path.join(toolsDir, `hadolint-${pinned("HADOLINT_VERSION")}`, "hadolint");
    case "promtool":
      return path.join(toolsDir, `promtool-${pinned("PROMTOOL_VERSION")}`, "promtool");
  }
}

function installed(tool: TTool): boolean {
  const p = toolPath(tool);
  return tool === "schemas" ? existsSync(path.join(p, ".complete")) : existsSync(p);
}

let installRan = false;

/**
 * The tool's path, installing the pinned tools first when one is missing (CI's .ci/run has
 * usually done it); or the reason it cannot be installed, for a skip that says why.
 */
export function tool(name: TTool): { path: string } | { skip: string } {
  if (!installed(name) && !installRan) {
    installRan = true;
    const r = spawnSync("bash", [INSTALL], { encoding: "utf8", env: { ...process.env, AUTOGLM_TOOLS_DIR: toolsDir } });
    process.stdout.write(r.stdout ?? "");
  }
  if (installed(name)) return { path: toolPath(name) };
  const reasonFile = path.join(toolsDir, `${name}.skip`);
  return { skip: existsSync(reasonFile) ? readFileSync(reasonFile, "utf8").trim() : `${name} is not installed` };
}

/** The Kubernetes versions whose schemas install.sh unpacks (validated against each). */
export function schemaKubeVersions(): string[] {
  return /^SCHEMA_KUBE_VERSIONS="([^"]+)"/m.exec(readFileSync(INSTALL, "utf8"))![1]!.split(/\s+/);
}

/** Runs a tool and returns its output; throws with the output when it exits non-zero. */
export function run(bin: string, args: string[], options: { cwd?: string } = {}): string {
  const r = spawnSync(bin, args, { encoding: "utf8", cwd: options.cwd ?? repoRoot, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The chart's CI value files (infra/helm/open-autoglm/ci/*-values.yaml), besides the defaults. */
export const VALUE_FILES = ["external-postgres-s3-values.yaml", "bundled-postgres-values.yaml", "gpu-agents-values.yaml"];

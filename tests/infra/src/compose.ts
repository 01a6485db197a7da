import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import type { ContainerSpec } from "./pod.js";
import { repoRoot } from "./tools.js";

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export const COMPOSE_FILE = "infra/docker-compose.yml";

/**
 * Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error} (an error when VAR is
 * unset or empty, as `docker compose` refuses to start), $$ for a literal $.
 */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g,
    (whole, name?: string, op?: string, arg?: string) => {
      if (whole === "$$") return "$";
      const v = vars[name!];
      if (op === ":-") return v ? v : arg!;
      if (op === ":?" && !v) throw new Error(`${name}: ${arg}`);
      return v ?? "";
    },
  );
}

export function readCompose(vars: Record<string, string>): ComposeFile {
  return parse(interpolate(readFileSync(path.join(repoRoot, COMPOSE_FILE), "utf8"), vars)) as ComposeFile;
}

/** A compose service as a container spec: `entrypoint` is Kubernetes' command, `command` its args. */
export function composeContainer(name: string, service: ComposeService): ContainerSpec {
  return {
    name,
    ...(service.entrypoint ? { command: service.entrypoint } : {}),
    ...(service.command ? { args: service.command } : {}),
    env: Object.entries(service.environment ?? {}).map(([k, v]) => ({ name: k, value: v === null ? "" : String(v) })),
    ports: (service.ports ?? []).map((p) => ({ containerPort: Number(p.split(":").at(-1)) })),
    volumeMounts: (service.volumes ?? []).map((v) => ({ name: v.split(":")[0]!, mountPath: v.split(":")[1]! })),
  };
}

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDb } from "@autoglm/db/client";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { find, NAMESPACE, podTemplate, renderChart, type K8sObject } from "./chart.js";
import { readImage } from "./dockerfile.js";
import {
  appliedMigrations,
  emptyDatabase,
  freePort,
  migrationCount,
  seedTeamWithStudy,
  waitForTrialsByAgent,
  type SeededTeam,
} from "./platform.js";
import {
  probeUrl,
  scratchPath,
  startContainer,
  waitReady,
  type ContainerSpec,
  type PodWorld,
  type StartedContainer,
} from "./pod.js";
import { dashboardExprs, metricNamesOf } from "./monitoring.js";
import { metricNames, scrape, total, type TScrape } from "@autoglm/prometheus-scrape";
import { repoRoot, tool } from "./tools.js";

/**
 * The contract between the chart, the images and the code: the server Deployment's and the
 * agent DaemonSet's containers, as rendered (with GPU agents on), started exactly as the
 * kubelet would start them from the Dockerfiles' ENTRYPOINT/CMD, against the local build. The
 * server replicas start together on an empty database and become Ready (each migration applied
 * once, under the lock); the agent registers under its node's name and runs the study's trials.
 * Without DATABASE_URL (the PGlite run) one replica runs on the embedded database.
 */
const helm = tool("helm");
if ("skip" in helm) console.log(`SKIPPED the chart contract test: ${helm.skip}`);

const logs = path.join(repoRoot, "test-results", "logs");
const scratch = mkdtempSync(path.join(tmpdir(), "autoglm-contract-"));
// Open like an emptyDir's parents: an agent started as root (CI) runs its trials as nobody.
chmodSync(scratch, 0o777);
const running: StartedContainer[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop("SIGKILL")));
  for (const c of cleanups) await c();
  rmSync(scratch, { recursive: true, force: true });
});

const serverImage = readImage("infra/docker/server.Dockerfile");
const agentImage = readImage("infra/docker/agent.Dockerfile");

/** The Secrets the chart renders itself (the generated AUTH_SECRET), decoded. */
function renderedSecrets(objects: K8sObject[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const o of objects.filter((x) => x.kind === "Secret")) {
    out[o.metadata.name] = Object.fromEntries(
      Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
    );
  }
  return out;
}

async function world(container: ContainerSpec, name: string, base: Partial<PodWorld>): Promise<PodWorld> {
  const ports: Record<number, number> = {};
  for (const p of container.ports ?? []) ports[p.containerPort] = await freePort();
  return {
    secrets: {},
    fields: {},
    services: {},
    ...base,
    ports,
    scratch: path.join(scratch, name),
    logFile: path.join(logs, `infra-contract-${name}.log`),
  };
}

function replicasOf(objects: K8sObject[]): number {
  const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
  if (hpa) return (hpa.spec as { minReplicas: number }).minReplicas;
  return (find(objects, "Deployment", "-server").spec as { replicas: number }).replicas;
}

describe.skipIf("skip" in helm)("chart contract: the rendered containers run from the images' entrypoints", () => {
  it("starts the server replicas (migrating once) and an agent that registers and runs trials", async () => {
    const objects = renderChart("path" in helm ? helm.path : "", { valueFiles: ["ci/gpu-agents-values.yaml"] });
    const deployment = find(objects, "Deployment", "-server");
    const daemonSet = find(objects, "DaemonSet", "-agent");
    const server = podTemplate(deployment).spec;
    const agent = podTemplate(daemonSet).spec;
    const serverContainer = server.containers[0]!;
    const agentContainer = agent.containers[0]!;

    // The pods run as the images' users, and neither is root.
    expect(String(server.securityContext?.runAsUser)).toBe(serverImage.user);
    expect(String(agent.securityContext?.runAsUser)).toBe(agentImage.user);
    expect([serverImage.user, agentImage.user]).not.toContain("0");

    const secrets = renderedSecrets(objects);
    const dbRef = serverContainer.env!.find((e) => e.name === "DATABASE_URL")!.valueFrom!.secretKeyRef!;
    const baseUrl = process.env.DATABASE_URL;
    const database = baseUrl ? await emptyDatabase(baseUrl) : undefined;
    if (database) cleanups.push(() => database.drop());
    // PGlite cannot be shared between processes: one replica, on its data directory (/data).
    const replicas = database ? replicasOf(objects) : 1;
    if (!database) console.log("PGlite run (no DATABASE_URL): one server replica; the migration race needs PostgreSQL");
    expect(replicas).toBeGreaterThanOrEqual(database ? 2 : 1);
    secrets[dbRef.name] = { [dbRef.key]: database?.url ?? "" };

    const servers: { started: StartedContainer; world: PodWorld }[] = [];
    let seeded: SeededTeam | undefined;
    for (let i = 0; i < replicas; i++) {
      const w = await world(serverContainer, `server-${i}`, { secrets, fields: { "metadata.name": `server-${i}` } });
      if (!database) seeded = await seedEmbedded(w);
      servers.push({ started: startContainer(serverImage, serverContainer, w), world: w });
    }
    running.push(...servers.map((s) => s.started));
    expect(servers[0]!.started.argv.slice(-2)).toEqual(["node", "dist/main.js"]);
    await Promise.all(
      servers.map((s) => waitReady(probeUrl(serverContainer, serverContainer.readinessProbe, s.world), s.started, 180_000)),
    );
    for (const s of servers) {
      expect((await fetch(probeUrl(serverContainer, serverContainer.livenessProbe, s.world))).status).toBe(200);
      expect((await fetch(probeUrl(serverContainer, serverContainer.startupProbe, s.world))).status).toBe(200);
    }
    if (database) {
      const db = await createDb({ url: database.url, migrate: false, poolSize: 2 });
      cleanups.unshift(() => db.close());
      expect(await appliedMigrations(db)).toEqual({ rows: migrationCount(), distinct: migrationCount() });
      seeded = await seedTeamWithStudy(db);
    }

    // The agent: its Service URL is the first replica, its node name comes from the pod.
    const serverUrl = `http://127.0.0.1:${servers[0]!.world.ports[serverContainer.ports![0]!.containerPort]}`;
    const service = find(objects, "Service", "-open-autoglm") as K8sObject & { spec: { ports: { port: number }[] } };
    const serviceUrl = `http://${service.metadata.name}.${NAMESPACE}.svc:${service.spec.ports[0]!.port}`;
    const tokenRef = agentContainer.env!.find((e) => e.name === "AUTOGLM_TOKEN")!.valueFrom!.secretKeyRef!;
    const agentWorld = await world(agentContainer, "agent", {
      secrets: { [tokenRef.name]: { [tokenRef.key]: seeded!.agentToken } },
      fields: { "spec.nodeName": "gpu-node-1" },
      services: { [serviceUrl]: serverUrl },
      runtimeBin: fakeNvidiaSmi(),
    });
    const agentProc = startContainer(agentImage, agentContainer, agentWorld);
    running.push(agentProc);
    // The image's entrypoint is the agent CLI; the chart's args are its flags.
    expect(agentImage.entrypoint.slice(-2)).toEqual(["node", "dist/cli.js"]);
    expect(agentProc.argv.slice(agentProc.argv.indexOf("dist/cli.js") + 1)).toEqual(
      expect.arrayContaining(["--server", serverUrl, "--name", "gpu-node-1"]),
    );
    const { agent: seen, trials } = await waitForTrialsByAgent(serverUrl, seeded!, "gpu-node-1", 180_000, agentProc);
    expect(seen).toMatchObject({ isOnline: true, labels: { pool: "a100" } });
    for (const t of trials) expect(t.value).toBeGreaterThan(0.3);

    // Metrics: on the ports the chart names, never on the public one; the dashboard's and the
    // alerts' PromQL read only series these scrapes expose.
    const serverMetrics = await scrapeNamedPort(serverContainer, servers[0]!.world);
    expect((await fetch(`${serverUrl}/metrics`)).status).toBe(404);
    expect(total(serverMetrics, "autoglm_leases_granted_total")).toBeGreaterThanOrEqual(trials.length);
    const agentMetrics = await scrapeNamedPort(agentContainer, agentWorld);
    expect(total(agentMetrics, "autoglm_agent_gpu_memory_total_bytes", { gpu: "1" })).toBe(81559 * 1024 * 1024);
    expect(unexposed([serverMetrics, agentMetrics])).toEqual([]);

    // SIGTERM (what the kubelet sends) stops both cleanly.
    expect(await agentProc.stop("SIGTERM")).toBe(0);
    for (const s of servers) expect(await s.started.stop("SIGTERM")).toBe(0);
  });
});

/** A stand-in for the nvidia-smi the NVIDIA container toolkit puts in a GPU pod: two A100s. */
function fakeNvidiaSmi(): string {
  const dir = path.join(scratch, "nvidia-runtime");
  mkdirSync(dir, { recursive: true });
  const script = `#!/bin/sh
case "$1" in
  --query-gpu=index,name,memory.total) printf '0, NVIDIA A100-SXM4-80GB, 81559\\n1, NVIDIA A100-SXM4-80GB, 81559\\n' ;;
  *) printf '0, 35, 20480\\n1, 0, 3\\n' ;;
esac
`;
  writeFileSync(path.join(dir, "nvidia-smi"), script, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

/** Scrapes a container's port named `metrics` at /metrics (through the local port standing in for it). */
async function scrapeNamedPort(container: ContainerSpec, w: PodWorld): Promise<TScrape> {
  const port = container.ports?.find((p) => p.name === "metrics")?.containerPort;
  expect(port, `${container.name} has a port named metrics`).toBeDefined();
  return scrape(`http://127.0.0.1:${w.ports[port!]}/metrics`);
}

/** `panel: name` for each metric a dashboard panel or an alert reads that no scrape exposes. */
function unexposed(scrapes: TScrape[]): string[] {
  const names = new Set(scrapes.flatMap((s) => [...metricNames(s)]));
  const histograms = new Set(scrapes.flatMap((s) => s.filter((f) => f.type === "HISTOGRAM").map((f) => f.name)));
  const isExposed = (n: string) => names.has(n) || histograms.has(n.replace(/_(bucket|sum|count)$/, ""));
  const alerts = (
    YAML.parse(readFileSync(path.join(repoRoot, "infra/prometheus/alerts.yml"), "utf8")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    }
  ).groups.flatMap((g) => g.rules.map((r) => ({ panel: `alert ${r.alert}`, expr: r.expr })));
  // `up` is Prometheus' own record of each scrape.
  return [...dashboardExprs(), ...alerts].flatMap(({ panel, expr }) =>
    metricNamesOf(expr)
      .filter((n) => n !== "up" && !isExposed(n))
      .map((n) => `${panel}: ${n}`),
  );
}

/** PGlite: the schema and the team are made in the replica's data directory before it starts. */
async function seedEmbedded(w: PodWorld): Promise<SeededTeam> {
  const dataDir = path.join(scratchPath(w.scratch, serverImage.env.AUTOGLM_DATA_DIR!), "pglite");
  const db = await createDb({ dataDir });
  try {
    return await seedTeamWithStudy(db);
  } finally {
    await db.close();
  }
}

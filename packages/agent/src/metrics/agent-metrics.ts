import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { TGpuUse } from "@autoglm/protocol";
import type { AgentCore } from "../agent-core.js";
import { readGpuUse } from "../system.js";

const MIB = 1024 * 1024;

export interface AgentMetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The agent's /metrics on a local port (127.0.0.1 unless told otherwise: the node's Prometheus
 * or a port-forward reads it). Labels are bounded: GPU indexes and trial outcomes, never trial
 * ids. GPU series exist only for GPUs the agent has; their use is asked of nvidia-smi at scrape
 * time, and only for real GPUs (GPUs offered in the options have no nvidia-smi behind them).
 */
export async function startAgentMetrics(core: AgentCore, listen: { port: number; host: string }): Promise<AgentMetricsServer> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  agentGauges(core, registry);
  gpuGauges(core, registry);
  trialCounters(core, registry);
  const http = createServer((req, res) => {
    if ((req.url ?? "/").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => {
        core.logger.warn("metrics scrape failed", { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("scrape failed\n");
      },
    );
  });
  await listenOn(http, listen.port, listen.host);
  const { port } = http.address() as AddressInfo;
  const shown = listen.host === "0.0.0.0" || listen.host === "::" ? "127.0.0.1" : listen.host;
  return {
    url: `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

function listenOn(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
}

function agentGauges(core: AgentCore, registry: Registry): void {
  new Gauge({
    name: "autoglm_agent_running_trials",
    help: "Trials this agent is running now.",
    registers: [registry],
    collect() {
      this.set(core.slots.info().length);
    },
  });
  new Gauge({
    name: "autoglm_agent_max_trials",
    help: "Trials this agent runs at once at most.",
    registers: [registry],
    collect() {
      this.set(core.settings.maxTrials);
    },
  });
  new Gauge({
    name: "autoglm_agent_connected",
    help: "1 while the agent is connected and registered with the server, else 0.",
    registers: [registry],
    collect() {
      this.set(core.connection.isReady() ? 1 : 0);
    },
  });
}

function gpuGauges(core: AgentCore, registry: Registry): void {
  const { gpus, gpusOffered, nvidiaSmi } = core.settings;
  if (gpus.length === 0) return;
  new Gauge({
    name: "autoglm_agent_gpu_memory_total_bytes",
    help: "Memory of each GPU of this agent.",
    labelNames: ["gpu"] as const,
    registers: [registry],
    collect() {
      for (const g of gpus) this.set({ gpu: String(g.index) }, g.memoryMb * MIB);
    },
  });
  if (gpusOffered) return;
  // The two gauges below share one nvidia-smi call per scrape (a scrape calls both collects at once).
  let pending: Promise<TGpuUse[]> | undefined;
  const use = (): Promise<TGpuUse[]> =>
    (pending ??= readGpuUse(nvidiaSmi).finally(() => {
      pending = undefined;
    }));
  new Gauge({
    name: "autoglm_agent_gpu_utilization_ratio",
    help: "Each GPU's utilization (0-1) as nvidia-smi reports it.",
    labelNames: ["gpu"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const u of await use()) this.set({ gpu: String(u.index) }, u.utilizationPct / 100);
    },
  });
  new Gauge({
    name: "autoglm_agent_gpu_memory_used_bytes",
    help: "Each GPU's used memory as nvidia-smi reports it.",
    labelNames: ["gpu"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const u of await use()) this.set({ gpu: String(u.index) }, u.memoryUsedMb * MIB);
    },
  });
}

function trialCounters(core: AgentCore, registry: Registry): void {
  const started = new Counter({
    name: "autoglm_agent_trials_started_total",
    help: "Trials this agent started (leases it accepted).",
    registers: [registry],
  });
  const finished = new Counter({
    name: "autoglm_agent_trials_finished_total",
    help: "Trials whose process ended, by outcome (complete, failed, pruned, stopped, handback, stale).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  core.events.on("lease", () => started.inc());
  core.events.on("trial-exit", (e: { outcome: string }) => finished.inc({ outcome: e.outcome }));
}

import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../agent.js";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  startTestAgent,
  studyCounts,
  waitFor,
  type RunLoopServer,
} from "../testing/harness.js";
import { labelValues, metricNames, scrape, total } from "@autoglm/prometheus-scrape";

/** The agent's /metrics, scraped from a real agent running real trials for a real server. */
let srv: RunLoopServer;
let dir: string;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  srv = await startRunLoopServer();
  dir = openTempDir("autoglm-agent-metrics-");
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await srv.close();
  cleanup(dir);
});

/** A stand-in nvidia-smi with one H100: the registration query, then the utilization query. */
function fakeNvidiaSmi(): string {
  const smi = path.join(dir, "nvidia-smi");
  writeFileSync(
    smi,
    `#!/bin/sh
case "$1" in
  --query-gpu=index,name,memory.total) printf '0, NVIDIA H100 80GB HBM3, 81559\\n' ;;
  *) printf '0, 87, 40213\\n' ;;
esac
`,
  );
  chmodSync(smi, 0o755);
  return smi;
}

describe("agent metrics", () => {
  it("are off unless a port is given", async () => {
    const team = await makeTeam(srv, "metrics-off");
    const agent = await startTestAgent(srv, team, { name: "no-metrics", workDir: path.join(dir, "off") });
    agents.push(agent);
    expect(agent.metricsUrl).toBeNull();
  });

  it("count trials started and finished by outcome, and show the GPU's use and memory and the connection", async () => {
    const team = await makeTeam(srv, "metrics-gpu");
    const agent = await startTestAgent(srv, team, {
      name: "gpu-box",
      workDir: path.join(dir, "gpu"),
      cwd: dir,
      gpus: undefined,
      nvidiaSmi: fakeNvidiaSmi(),
      metricsPort: 0,
    });
    agents.push(agent);
    // Loopback unless told otherwise.
    expect(agent.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const before = await scrape(agent.metricsUrl!);
    expect(total(before, "autoglm_agent_connected")).toBe(1);
    expect(total(before, "autoglm_agent_running_trials")).toBe(0);
    expect(total(before, "autoglm_agent_trials_started_total")).toBe(0);
    expect(total(before, "autoglm_agent_gpu_utilization_ratio", { gpu: "0" })).toBe(0.87);
    expect(total(before, "autoglm_agent_gpu_memory_used_bytes", { gpu: "0" })).toBe(40213 * 1024 * 1024);
    expect(total(before, "autoglm_agent_gpu_memory_total_bytes", { gpu: "0" })).toBe(81559 * 1024 * 1024);
    // Node's own: the event loop's lag.
    expect(metricNames(before)).toContain("nodejs_eventloop_lag_seconds");

    const ok = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 2, max_parallel: 1, max_attempts: 1 },
      run: { command: `echo '{"autoglm": 1, "final": {"loss": 1}}'` },
    });
    await waitFor(async () => (await studyCounts(srv.db, ok)).complete === 2, 30_000, "two trials complete");
    const bad = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1, max_attempts: 1 },
      run: { command: "exit 3" },
    });
    await waitFor(async () => (await studyCounts(srv.db, bad)).failed === 1, 30_000, "the failing trial failed");

    const after = await scrape(agent.metricsUrl!);
    expect(total(after, "autoglm_agent_trials_started_total")).toBe(3);
    expect(total(after, "autoglm_agent_trials_finished_total", { outcome: "complete" })).toBe(2);
    expect(total(after, "autoglm_agent_trials_finished_total", { outcome: "failed" })).toBe(1);
    // Bounded labels: outcomes and GPU indexes, never a trial id.
    const ids = (await srv.db.query<{ id: string }>(`SELECT id FROM trials WHERE org_id = $1`, [team.orgId])).map((r) => r.id);
    expect(ids).toHaveLength(3);
    const values = labelValues(after);
    for (const id of [...ids, team.orgId, agent.agentId()!]) expect(values.some((v) => v.includes(id))).toBe(false);
  });

  it("has no GPU series on a machine without GPUs", async () => {
    const team = await makeTeam(srv, "metrics-cpu");
    const agent = await startTestAgent(srv, team, { name: "cpu-box", workDir: path.join(dir, "cpu"), metricsPort: 0 });
    agents.push(agent);
    const names = [...metricNames(await scrape(agent.metricsUrl!))];
    expect(names).toContain("autoglm_agent_running_trials");
    expect(names.filter((n) => n.includes("gpu"))).toEqual([]);
    expect((await fetch(agent.metricsUrl!.replace("/metrics", "/other"))).status).toBe(404);
  });
});

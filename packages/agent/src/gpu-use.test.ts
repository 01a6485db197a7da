import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "./agent.js";
import { parseGpuUse } from "./system.js";
import {
  cleanup,
  makeTeam,
  openTempDir,
  startRunLoopServer,
  startTestAgent,
  waitFor,
  type RunLoopServer,
} from "./testing/harness.js";

let srv: RunLoopServer;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  srv = await startRunLoopServer();
  dir = openTempDir("autoglm-gpu-use-");
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await srv.close();
  cleanup(dir);
});

describe("GPU use", () => {
  it("parses nvidia-smi's utilization query and skips [N/A] rows", () => {
    expect(parseGpuUse("0, 87, 40213\n1, [N/A], [N/A]\n2, 3, 512\n")).toEqual([
      { index: 0, utilizationPct: 87, memoryUsedMb: 40213 },
      { index: 2, utilizationPct: 3, memoryUsedMb: 512 },
    ]);
  });

  it("reaches the agent's row with each heartbeat, merged into its GPUs by index", async () => {
    // A stand-in nvidia-smi: the registration query, then the utilization query.
    const smi = path.join(dir, "nvidia-smi");
    writeFileSync(
      smi,
      `#!/bin/sh
case "$1" in
  --query-gpu=index,name,memory.total) printf '0, NVIDIA H100 80GB HBM3, 81559\\n1, NVIDIA H100 80GB HBM3, 81559\\n' ;;
  *) printf '0, 87, 40213\\n1, 0, 3\\n' ;;
esac
`,
    );
    chmodSync(smi, 0o755);
    const team = await makeTeam(srv, "gpu-use");
    agent = await startTestAgent(srv, team, {
      name: "h100-box",
      workDir: path.join(dir, "work"),
      cwd: dir,
      gpus: undefined,
      nvidiaSmi: smi,
    });
    const read = async () =>
      (await srv.db.query<{ gpus: unknown }>(`SELECT gpus FROM agents WHERE org_id = $1`, [team.orgId]))[0]?.gpus as
        { index: number; model: string; utilizationPct?: number; memoryUsedMb?: number }[] | undefined;
    await waitFor(async () => (await read())?.[0]?.utilizationPct === 87, 10_000, "GPU use stored");
    expect(await read()).toEqual([
      { index: 0, model: "NVIDIA H100 80GB HBM3", memoryMb: 81559, utilizationPct: 87, memoryUsedMb: 40213 },
      { index: 1, model: "NVIDIA H100 80GB HBM3", memoryMb: 81559, utilizationPct: 0, memoryUsedMb: 3 },
    ]);
  });
});

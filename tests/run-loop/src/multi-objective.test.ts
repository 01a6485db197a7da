/**
 * A multi-objective study with a constraint, run by a real agent: the command prints two
 * objectives and a constrained metric; the study's Pareto set is read through the real router
 * over HTTP with the SDK client, and through the `autoglm` CLI as a child process.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createStandaloneHandler, nullEvents } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedToken } from "@autoglm/scheduler/testing";
import { createClient, type AutoglmClient } from "@autoglm/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningAgent } from "../../../packages/agent/src/agent.js";
import {
  cleanup,
  copyPythonHelper,
  FAST,
  makeTeam,
  openTempDir,
  startRunLoopServer,
  startTestAgent,
  waitFor,
  writeScript,
  type RunLoopServer,
} from "../../../packages/agent/src/testing/harness.js";

const CLI = fileURLToPath(new URL("../../../packages/sdk/dist/cli.js", import.meta.url));

let db: TestDb;
let srv: RunLoopServer;
let api: Server;
let apiUrl: string;
let dir: string;
let agent: RunningAgent | null = null;

beforeAll(async () => {
  db = await createTestDb();
  // Timings a loaded 2-core box keeps (a trial lost to a missed heartbeat is not what this tests).
  srv = await startRunLoopServer({ ...FAST, heartbeatMs: 500, leaseTtlMs: 5_000, ackTimeoutMs: 3_000 }, db);
  api = createServer(createStandaloneHandler({ db, events: nullEvents, options: {} }, { basePath: "/api/trpc/" }));
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  dir = openTempDir("autoglm-mo-");
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await srv?.close();
  await db?.drop();
  cleanup(dir);
});

function cli(args: string[], token: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("AUTOGLM_")) env[k] = v;
  Object.assign(env, { AUTOGLM_SERVER: apiUrl, AUTOGLM_TOKEN: token, AUTOGLM_CONFIG: path.join(dir, "cli.json") });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// loss falls and latency rises with x, so every feasible trial is on the front; memory_gb
// passes its bound (16) past x = 0.6, making those trials infeasible.
const TRAIN = (helperDir: string) => `import sys
sys.path.insert(0, ${JSON.stringify(helperDir)})
from autoglm_report import report, params
x = params()["x"]
for step in range(3):
    report(step, loss=1 - x + 0.1 / (step + 1), latency_ms=100 * x, memory_gb=10 + 10 * x)
`;

describe("a multi-objective study with a constraint, run by an agent", () => {
  it("stores both values per trial, keeps infeasible trials out of the Pareto set, and shows it through the API and CLI", async () => {
    const team = await makeTeam(srv, "mo");
    const token = await seedToken(srv.db, team, { scopes: ["read", "write"] });
    const client: AutoglmClient = createClient({ server: apiUrl, token });
    const script = writeScript(dir, "train.py", TRAIN(copyPythonHelper(dir)));
    const { id: studyId } = await client.studies.create({
      projectId: team.projectId,
      spec: {
        name: "mo-constrained",
        objectives: [
          { metric: "loss", direction: "minimize" },
          { metric: "latency_ms", direction: "minimize" },
        ],
        constraints: [{ metric: "memory_gb", max: 16 }],
        space: { x: { type: "float", low: 0, high: 1 } },
        sampler: { name: "nsga2", seed: 5 },
        budget: { max_trials: 8, max_parallel: 2 },
        run: { command: `/usr/bin/python3 ${script}` },
      },
    });
    // Two fixed points: one feasible, one past the memory bound.
    await client.trials.enqueue(studyId, { x: 0.25 });
    await client.trials.enqueue(studyId, { x: 0.9 });
    agent = await startTestAgent(srv, team, {
      name: "mo-agent",
      workDir: path.join(dir, "work"),
      cwd: dir,
      maxTrials: 2,
      heartbeatMs: 500,
      ackTimeoutMs: 3_000,
    });
    await waitFor(async () => (await client.studies.get(studyId)).state === "completed", 60_000, "the study completed");

    const { items } = await client.trials.list({ studyId, limit: 100 });
    expect(items.map((t) => [t.state, t.endReason])).toEqual(Array(8).fill(["complete", "completed"]));
    for (const t of items) {
      const x = Number(t.params.x);
      expect(t.values).toEqual([expect.closeTo(1 - x + 0.1 / 3, 9), expect.closeTo(100 * x, 9)]);
      expect(t.value).toBe(t.values![0]);
      expect(t.constraintValues).toEqual([expect.closeTo(10 * x - 6, 9)]);
      expect(t.feasible).toBe(x <= 0.6);
    }
    const infeasible = items.find((t) => t.params.x === 0.9)!;
    expect(infeasible.feasible).toBe(false);

    const best = await client.studies.best(studyId);
    const feasible = items.filter((t) => t.feasible);
    expect(best?.pareto?.map((p) => p.number)).toEqual(feasible.map((t) => t.number));
    expect(best?.pareto?.every((p) => Number(p.params.x) <= 0.6)).toBe(true);
    const lowestLoss = feasible.reduce((a, b) => (b.values![0]! < a.values![0]! ? b : a));
    expect(best).toMatchObject({ number: lowestLoss.number, value: lowestLoss.values![0] });

    const hv = await client.studies.hypervolume(studyId);
    expect(hv.basedOn).toBe(feasible.length);
    expect(hv.points.length).toBeGreaterThan(0);
    expect(hv.points.at(-1)!.hypervolume).toBeGreaterThan(0);

    const json = await cli(["study", "best", studyId, "--json"], token);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toEqual(best);
    const text = await cli(["study", "best", studyId], token);
    expect(text.stdout).toContain(`Pareto set: ${feasible.length} trials`);
    const shown = await cli(["trial", "get", infeasible.id], token);
    expect(shown.stdout).toContain("infeasible (constraint violations 3; ≤ 0 holds)");
  }, 90_000);
});

/**
 * `autoglm trial stop`, `autoglm study stop` and `autoglm agent list` against the real router
 * (HTTP on 127.0.0.1, a fresh database). Agents and an agent-run trial are written into the
 * database as the scheduler would leave them; the CLI runs as a child process.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SPEC = `name: agents-study
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 3}
budget: {max_trials: 20, max_parallel: 4}
`;

let srv: TestServer;
let dir: string;
let env: Record<string, string>;
let orgId: string;
let studyId: string;

beforeAll(async () => {
  srv = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "autoglm-cli-agents-"));
  env = { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token, AUTOGLM_CONFIG: join(dir, "config.json") };
  const [p] = await srv.db.query<{ org_id: string }>(`select org_id from projects where id = $1`, [srv.projectId]);
  orgId = p!.org_id;
  ({ id: studyId } = await srv.client.studies.create({ projectId: srv.projectId, yaml: SPEC }));
});
afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function addAgent(name: string, opts: { online: boolean; gpus?: string; labels?: string }): Promise<string> {
  const [a] = await srv.db.query<{ id: string }>(
    `insert into agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, max_trials, is_online, last_heartbeat_at)
     values ($1, $2, $3, 16, 131072, $4::jsonb, $5::jsonb, 2, $6, now() - ($7::int * interval '1 second')) returning id`,
    [orgId, name, `${name}.lab`, opts.gpus ?? "[]", opts.labels ?? "{}", opts.online, opts.online ? 2 : 600],
  );
  return a!.id;
}

/** A trial leased to an agent, as the scheduler's lease statement leaves it. */
async function agentTrial(agentId: string, number: number): Promise<string> {
  const [t] = await srv.db.query<{ id: string }>(
    `insert into trials (org_id, study_id, number, state, params, attempt, lease_kind, lease_token, lease_expires_at, agent_id, started_at)
     values ($1, $2, $3, 'running', '{"x": 0.5}'::jsonb, 1, 'agent', gen_random_uuid(), now() + interval '1 minute', $4, now())
     returning id`,
    [orgId, studyId, number, agentId],
  );
  await srv.db.query(
    `insert into trial_attempts (trial_id, org_id, attempt, lease_kind, agent_id, log_tail) values ($1, $2, 1, 'agent', $3, 'epoch 1 loss=0.4')`,
    [t!.id, orgId, agentId],
  );
  return t!.id;
}

/** An endpoint `name` serving version 3 of a model, with one replica on the agent in `state` holding `gpus`. */
async function agentReplica(agentId: string, name: string, state: "ready" | "stopped", gpus: number[]): Promise<void> {
  const [m] = await srv.db.query<{ id: string }>(`insert into models (org_id, name) values ($1, $2) returning id`, [orgId, name]);
  const [v] = await srv.db.query<{ id: string }>(
    `insert into model_versions (org_id, model_id, version, flavor, files, digest, total_bytes, attempt, lineage)
     values ($1, $2, 3, 'builtin-mlp', '[]'::jsonb, $3, 0, 1, '{}'::jsonb) returning id`,
    [orgId, m!.id, "b".repeat(64)],
  );
  const [e] = await srv.db.query<{ id: string }>(
    `insert into endpoints (org_id, name, model_id, version_id) values ($1, $2, $3, $4) returning id`,
    [orgId, name, m!.id, v!.id],
  );
  await srv.db.query(
    `insert into endpoint_replicas (org_id, endpoint_id, model_version_id, agent_id, state, gpus) values ($1, $2, $3, $4, $5, $6::jsonb)`,
    [orgId, e!.id, v!.id, agentId, state, JSON.stringify(gpus)],
  );
}

describe("autoglm agent list", () => {
  it("with no agents explains how to start one", async () => {
    const r = await cli(["agent", "list"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no agents; start one with: autoglm agent start --server URL --token T");
    const j = await cli(["agent", "list", "--json"], env);
    expect(JSON.parse(j.stdout)).toEqual([]);
  });

  let trialOnGpu = "";
  it("prints a table of the team's agents, and --json the rows", async () => {
    const gpuBox = await addAgent("gpu-box", {
      online: true,
      gpus: `[{"index":0,"model":"A100","memoryMb":40960,"utilizationPct":73},{"index":1,"model":"A100","memoryMb":40960}]`,
      labels: `{"zone":"eu","tier":"fast"}`, // printed sorted: tier=fast,zone=eu
    });
    await addAgent("old-laptop", { online: true });
    await srv.db.query(`update agents set last_heartbeat_at = now() - interval '10 minutes' where name = 'old-laptop'`);
    trialOnGpu = await agentTrial(gpuBox, 1000);
    // A replica serving on GPU 1 shows beside the trial and counts as a GPU in use; a stopped one does not.
    await agentReplica(gpuBox, "digits", "ready", [1]);
    await agentReplica(gpuBox, "retired", "stopped", [0]);

    const r = await cli(["agent", "list"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+HOST\s+CPU\s+MEM\s+GPUS\s+LABELS\s+HEARTBEAT\s+RUNNING$/);
    const gpu = lines.find((l) => l.startsWith("gpu-box"))!;
    expect(gpu).toMatch(
      /^gpu-box\s+online\s+gpu-box\.lab\s+16\s+128G\s+1\/2 A100 40G 73%, A100 40G\s+tier=fast,zone=eu\s+\d+s ago\s+agents-study#1000,digits@v3$/,
    );
    const laptop = lines.find((l) => l.startsWith("old-laptop"))!;
    // Silent for 10 minutes: offline, whatever its row's is_online says.
    expect(laptop).toMatch(/^old-laptop\s+offline\s+old-laptop\.lab\s+16\s+128G\s+-\s+-\s+10m ago\s+-$/);

    const j = await cli(["agent", "list", "--json"], env);
    expect(j.code).toBe(0);
    const rows = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((a) => a.name)).toEqual(["gpu-box", "old-laptop"]);
    expect(rows[0]).toMatchObject({
      isOnline: true,
      host: "gpu-box.lab",
      labels: { zone: "eu", tier: "fast" },
      gpus: [
        { index: 0, model: "A100", memoryMb: 40960, utilizationPct: 73 },
        { index: 1, model: "A100", memoryMb: 40960, utilizationPct: null },
      ],
      running: [{ trialId: trialOnGpu, studyId, studyName: "agents-study", number: 1000, attempt: 1 }],
      replicas: [{ replicaId: expect.any(String), endpoint: "digits", version: 3, state: "ready", gpus: [1] }],
      gpusInUse: 1,
    });
  });

  it("agent list refuses stray arguments (exit 2)", async () => {
    const r = await cli(["agent", "list", "--wide"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agent list takes only --json");
  });

  it("trial stop ends an agent's trial USER_STOPPED; it leaves the agent's list", async () => {
    const r = await cli(["trial", "stop", trialOnGpu], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`stopped trial ${trialOnGpu}`);
    const t = await srv.client.trials.get(trialOnGpu);
    expect(t).toMatchObject({ state: "failed", endCode: "USER_STOPPED", endReason: "stopped by a user" });
    expect(t.attempts).toEqual([
      expect.objectContaining({ agentName: "gpu-box", endCode: "USER_STOPPED", logTail: "epoch 1 loss=0.4" }),
    ]);
    const agents = await srv.client.agents.list();
    expect(agents.find((a) => a.name === "gpu-box")!.running).toEqual([]);
  });
});

describe("autoglm trial stop / study stop", () => {
  it("stops an ask/tell trial; a second stop is a no-op; the program's tell is then refused", async () => {
    const t = await srv.client.trials.ask(studyId);
    const r = await cli(["trial", "stop", t.trialId, "--json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true });
    expect(await srv.client.trials.get(t.trialId)).toMatchObject({ state: "failed", endCode: "USER_STOPPED" });
    const again = await cli(["trial", "stop", t.trialId], env);
    expect(again.code).toBe(0);
    const tell = await cli(["trial", "tell", t.trialId, "--value", "0.1"], env);
    expect(tell.code).toBe(1);
    expect(tell.stderr).toMatch(/^autoglm: error: .*\[TRIAL_NOT_RUNNING\]$/m);
  });

  it("a finished trial cannot be stopped (exit 1, one line); a missing one is not found", async () => {
    const t = await srv.client.trials.ask(studyId);
    await srv.client.trials.tell(t.trialId, 0.25);
    const r = await cli(["trial", "stop", t.trialId], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/already complete.*\[TRIAL_NOT_RUNNING\]/);
    const missing = await cli(["trial", "stop", "00000000-0000-4000-8000-000000000000"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^autoglm: error: Trial not found/);
    const usage = await cli(["trial", "stop"], env);
    expect(usage.code).toBe(2);
  });

  it("study stop --json stops the study and its running trials", async () => {
    const running = await srv.client.trials.ask(studyId);
    const r = await cli(["study", "stop", studyId, "--json"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true });
    expect((await srv.client.studies.get(studyId)).state).toBe("stopped");
    expect(await srv.client.trials.get(running.trialId)).toMatchObject({ state: "failed", endCode: "STUDY_STOPPED" });
  });
});

import { sweepExpiredAskLeases } from "@autoglm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

// Ask-leases shrunk to 300 ms (an option, not a faked clock); the sweeper is run by hand
// where the server's background loop would run it.
const LEASE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  srv = await startTestServer({ askLeaseMs: LEASE_MS });
  env = { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token, AUTOGLM_CONFIG: "/nonexistent/autoglm.json" };
});
afterAll(async () => {
  await srv?.close();
});

const spec = (name: string, pruner: Record<string, unknown> = { name: "none" }) => ({
  name,
  objective: { metric: "loss", direction: "minimize" as const },
  space: { x: { type: "float" as const, low: 0, high: 1 } },
  pruner: pruner as { name: "none" },
});

describe("pruning and lease expiry, as a user of the SDK sees them", () => {
  it("`trial report` prints `prune` (exit 0) when the median pruner says stop", async () => {
    const { id } = await srv.client.studies.create({
      projectId: srv.projectId,
      spec: spec("pruned", { name: "median", n_startup_trials: 2 }),
    });
    // Two finished trials whose loss falls 1, 0.5, 0.25 over the steps.
    for (let i = 0; i < 2; i++) {
      const t = await srv.client.trials.ask(id);
      for (let step = 0; step < 3; step++) {
        expect((await srv.client.trials.report(t.trialId, step, 1 / 2 ** step)).prune).toBe(false);
      }
      await srv.client.trials.tell(t.trialId, 0.25);
    }
    const ask = await cli(["trial", "ask", id, "--json"], env);
    const { trialId } = JSON.parse(ask.stdout) as { trialId: string };
    // On par at step 0; at step 1 its best so far (0.9) is worse than the median (0.5).
    const onPar = await cli(["trial", "report", trialId, "--step", "0", "--value", "1"], env);
    expect(onPar.stdout).toBe("continue\n");
    const bad = await cli(["trial", "report", trialId, "--step", "1", "--value", "0.9"], env);
    expect(bad.stderr).toBe("");
    expect(bad.code).toBe(0);
    expect(bad.stdout).toBe("prune\n");
    // Reports are idempotent per step: the same answer again, as JSON.
    const json = await cli(["trial", "report", trialId, "--step", "1", "--value", "0.9", "--json"], env);
    const answer = JSON.parse(json.stdout) as { prune: boolean; reason: string };
    expect(answer).toEqual({ prune: true, reason: expect.any(String) });
    // Why, in the metric's units: its best so far against the median of the finished trials.
    expect(answer.reason).toMatch(
      /^median: its best value so far, 0\.9, is worse than the median \(0\.\d+\) of \d+ finished trials at step 1$/,
    );
    const tell = await cli(["trial", "tell", trialId, "--pruned", answer.reason], env);
    expect(tell.code).toBe(0);
    const ended = await srv.client.trials.get(trialId);
    expect(ended.state).toBe("pruned");
    expect(ended.endReason).toBe(answer.reason);
  });

  it("a trial whose program went away expires with LEASE_EXPIRED; a late report says so; the study goes on", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: spec("expiring") });
    const ask = await cli(["trial", "ask", id, "--json"], env);
    const { trialId, leaseExpiresAt } = JSON.parse(ask.stdout) as { trialId: string; leaseExpiresAt: string };
    await sleep(Math.max(0, Date.parse(leaseExpiresAt) - Date.now()) + 50);
    await sweepExpiredAskLeases({ db: srv.db.db });
    const late = await cli(["trial", "report", trialId, "--step", "0", "--value", "1"], env);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(
      /^autoglm: error: Trial 0 is failed \(LEASE_EXPIRED\); it takes no more reports\. \[TRIAL_NOT_RUNNING\]\n$/,
    );
    const t = await srv.client.trials.get(trialId);
    expect(t).toMatchObject({ state: "failed", endCode: "LEASE_EXPIRED" });
    const next = await cli(["trial", "ask", id, "--json"], env);
    expect(next.code).toBe(0);
    expect((JSON.parse(next.stdout) as { number: number }).number).toBe(1);
  });

  it("optimize records an expired trial as failed and goes on to the next", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: spec("optimize-expiry") });
    const result = await srv.client.optimize(
      id,
      async (trial) => {
        if (trial.number === 0) {
          await sleep(LEASE_MS + 100);
          await sweepExpiredAskLeases({ db: srv.db.db });
        }
        await trial.report(0, 0.5); // throws TRIAL_NOT_RUNNING for trial 0
        return 0.25;
      },
      { nTrials: 2 },
    );
    expect(result.trials.map((t) => t.state)).toEqual(["failed", "complete"]);
    expect(result.trials[0]!.reason).toContain("LEASE_EXPIRED");
    expect(result.best?.value).toBe(0.25);
  });

  it("`trial ask --wait` waits for a free slot instead of failing with MAX_PARALLEL_REACHED", async () => {
    const { id } = await srv.client.studies.create({
      projectId: srv.projectId,
      spec: { ...spec("one-slot"), budget: { max_parallel: 1 } },
    });
    const held = await srv.client.trials.ask(id);
    const busy = await cli(["trial", "ask", id], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/^autoglm: error: .*max_parallel.* \[MAX_PARALLEL_REACHED\]\n$/);
    const waiting = cli(["trial", "ask", id, "--wait", "60", "--json"], env);
    await sleep(1500);
    await srv.client.trials.tell(held.trialId, 1);
    const r = await waiting;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { number: number }).number).toBe(1);
  });

  it("`trial enqueue` queues exact params for the next ask; bad params are refused naming the parameter", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: spec("enqueue") });
    const bad = await cli(["trial", "enqueue", id, "--params", '{"x": 99}'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^autoglm: error: params: x=99 is outside \[.*\] \[INVALID_PARAMS\]\n$/);
    const notJson = await cli(["trial", "enqueue", id, "--params", "{x: 1}"], env);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/--params <json>.*not valid JSON/);
    const ok = await cli(["trial", "enqueue", id, "--params", '{"x": 0.25}', "--json"], env);
    expect(ok.stderr).toBe("");
    const queued = JSON.parse(ok.stdout) as { trialId: string; number: number; params: Record<string, unknown> };
    expect(queued).toMatchObject({ number: 0, params: { x: 0.25 } });
    const asked = await srv.client.trials.ask(id);
    expect(asked).toMatchObject({ trialId: queued.trialId, params: { x: 0.25 } });
  });

  it("optimize stops cleanly when the study is stopped or its budget is spent", async () => {
    const { id } = await srv.client.studies.create({
      projectId: srv.projectId,
      spec: { ...spec("budget"), budget: { max_trials: 3 } },
    });
    const result = await srv.client.optimize(id, (t) => (t.params.x as number) ** 2, { nTrials: 10 });
    expect(result.trials).toHaveLength(3);
    expect(result.endedBecause).toBe("studyEnded");

    const other = await srv.client.studies.create({ projectId: srv.projectId, spec: spec("stopped") });
    const stopped = await srv.client.optimize(
      other.id,
      async (t) => {
        if (t.number === 1) await srv.client.studies.stop(other.id);
        if (t.number === 1) await t.report(0, 1);
        return 1;
      },
      { nTrials: 10 },
    );
    expect(stopped.endedBecause).toBe("studyEnded");
    expect(stopped.trials.map((t) => t.state)).toEqual(["complete", "failed"]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutoglmError, createClient, TrialPruned } from "../src/index.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SPEC = {
  name: "client-loop",
  objective: { metric: "loss", direction: "minimize" as const },
  space: {
    x: { type: "float" as const, low: -5, high: 10 },
    layers: { type: "int" as const, low: 1, high: 8 },
  },
  sampler: { name: "random" as const, seed: 1 },
};

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

describe("the TypeScript client against the real router", () => {
  it("creates a study from a spec object and from YAML with a project slug", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const a = await client.studies.create({ projectId: srv.projectId, spec: SPEC });
    const b = await client.studies.create({
      projectSlug: srv.projectSlug,
      yaml: "name: from-yaml\nobjective: {metric: acc, direction: maximize}\nspace:\n  x: {type: float, low: 0, high: 1}\n",
    });
    const list = await client.studies.list({ projectId: srv.projectId });
    expect(list.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    expect(list.find((s) => s.id === b.id)).toMatchObject({ name: "from-yaml", direction: "maximize", metric: "acc" });
  });

  it("rejects an invalid spec locally with the field named, sending nothing", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const before = (await client.studies.list()).length;
    const err = await client.studies
      .create({ projectId: srv.projectId, spec: { ...SPEC, space: { lr: { type: "float", low: 0, high: 1, log: true } } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutoglmError);
    expect((err as AutoglmError).code).toBe("INVALID_SPEC");
    expect((err as AutoglmError).message).toBe("space.lr.low: must be > 0 when log is true");
    expect((await client.studies.list()).length).toBe(before);
  });

  it("optimize runs ask → report → tell and returns the best; onReport sees every step", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const { id } = await client.studies.create({ projectId: srv.projectId, spec: { ...SPEC, name: "optimize" } });
    const reports: { number: number; step: number }[] = [];
    const result = await client.optimize(
      id,
      async (trial) => {
        const x = trial.params.x as number;
        for (let step = 0; step < 3; step++) await trial.report(step, (x - 1) ** 2 + 3 - step);
        return (x - 1) ** 2;
      },
      { nTrials: 6, onReport: (e) => reports.push({ number: e.number, step: e.step }) },
    );
    expect(result.endedBecause).toBe("nTrials");
    expect(result.trials).toHaveLength(6);
    expect(result.trials.every((t) => t.state === "complete")).toBe(true);
    expect(reports).toHaveLength(18);
    const min = Math.min(...result.trials.map((t) => t.value!));
    expect(result.best?.value).toBeCloseTo(min, 12);
    const study = await client.studies.get(id);
    expect(study.counts.complete).toBe(6);
  });

  it("a throwing objective marks its trial failed; TrialPruned marks it pruned", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const { id } = await client.studies.create({ projectId: srv.projectId, spec: { ...SPEC, name: "failures" } });
    const boom = await client
      .optimize(
        id,
        () => {
          throw new Error("diverged");
        },
        { nTrials: 3 },
      )
      .catch((e: unknown) => e);
    expect((boom as Error).message).toBe("diverged");
    const caught = await client.optimize(
      id,
      async (trial) => {
        await trial.report(0, 1);
        if (trial.number % 2 === 1) throw new TrialPruned();
        throw new Error("flaky");
      },
      { nTrials: 2, catchErrors: true },
    );
    expect(caught.trials.map((t) => t.state).sort()).toEqual(["failed", "pruned"]);
    const study = await client.studies.get(id);
    expect(study.counts).toMatchObject({ failed: 2, pruned: 1, running: 0 });
    const failed = await client.trials.list({ studyId: id, state: "failed" });
    expect(failed.items.map((t: { endReason: string | null }) => t.endReason)).toContain("objective threw: diverged");
  });

  it("optimize: a trial stopped on the pruner's word ends pruned with the pruner's reason", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const { id } = await client.studies.create({
      projectId: srv.projectId,
      spec: { ...SPEC, name: "pruned-with-reason", pruner: { name: "median", n_startup_trials: 2 } },
    });
    const seen: Array<string | undefined> = [];
    const run = await client.optimize(
      id,
      async (trial) => {
        // The first two trials finish at 1; the third reports 5, worse than their median.
        const value = trial.number < 2 ? 1 : 5;
        if (await trial.report(0, value)) {
          seen.push(trial.pruneReason);
          throw new TrialPruned();
        }
        return value;
      },
      { nTrials: 3 },
    );
    expect(run.trials.map((t) => t.state)).toEqual(["complete", "complete", "pruned"]);
    const why = "median: its best value so far, 5, is worse than the median (1) of 2 finished trials at step 0";
    expect(seen).toEqual([why]);
    expect(run.trials[2]!.reason).toBe(why);
    expect((await client.trials.get(run.trials[2]!.trialId)).endReason).toBe(why);
  });

  it("portfolio says which members auto gave its asks to, and where a rugged study went to CMA-ES", async () => {
    const client = createClient({ server: srv.url, token: srv.token });
    const space = {
      x: { type: "float" as const, low: -5.12, high: 5.12 },
      y: { type: "float" as const, low: -5.12, high: 5.12 },
    };
    const spec = { ...SPEC, name: "rugged", space, sampler: { name: "auto" as const, seed: 2 }, budget: { max_trials: 200 } };
    const { id } = await client.studies.create({ projectId: srv.projectId, spec });
    // Rastrigin: a bowl covered in local minima one unit apart.
    const rastrigin = (p: Record<string, unknown>) =>
      [Number(p.x), Number(p.y)].reduce((a, v) => a + v * v - 10 * Math.cos(2 * Math.PI * v) + 10, 0);
    expect((await client.studies.portfolio(id)).handover).toBeNull();
    await client.optimize(id, (trial) => rastrigin(trial.params), { nTrials: 104 });
    const portfolio = await client.studies.portfolio(id);
    expect(portfolio.members).toEqual(["gp", "tpe", "random", "cmaes"]);
    expect(portfolio.points.at(-1)!.trials).toBe(104);
    expect(portfolio.handover).toMatchObject({ trial: 100, reason: "rugged" });
    expect(portfolio.handover!.noiseShare).toBeGreaterThan(0.01);
  }, 120_000);

  it("errors are AutoglmError with the server's sentence and code", async () => {
    const bad = createClient({ server: srv.url, token: "agl_notarealtoken000000000000000000000000" });
    const auth = await bad.studies.list().catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(AutoglmError);
    expect((auth as AutoglmError).isAuthError).toBe(true);
    expect((auth as AutoglmError).httpStatus).toBe(401);

    const client = createClient({ server: `${srv.url}/api/trpc/`, token: srv.token });
    const missing = await client.studies.best("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AutoglmError);
    expect((missing as AutoglmError).trpcCode).toBe("NOT_FOUND");
    expect((missing as AutoglmError).message).not.toMatch(/\n\s+at /);

    // The server's zod message names the field (a non-uuid id is refused before any lookup).
    const badInput = await client.trials.report("not-a-uuid", 0, 1).catch((e: unknown) => e);
    expect((badInput as AutoglmError).trpcCode).toBe("BAD_REQUEST");
    expect((badInput as AutoglmError).httpStatus).toBe(400);
    expect((badInput as AutoglmError).message).toMatch(/^trialId: /);
    // NaN cannot cross JSON: refused locally, in words.
    const nan = await client.trials.report("00000000-0000-4000-8000-000000000000", 0, Number.NaN).catch((e: unknown) => e);
    expect((nan as AutoglmError).message).toBe("value must be a finite number (got NaN)");
  });
});

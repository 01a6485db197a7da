/**
 * Multi-objective ask/tell from the TypeScript SDK and the `autoglm` CLI against the real
 * router: `trial tell --values … --metric name=value`, `trials.tell(id, [..], {metrics})`,
 * `optimize` with an objective returning one value per objective, and `study best` printing
 * the Pareto set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SPEC = `name: mo-cli
objectives:
  - {metric: loss, direction: minimize}
  - {metric: latency_ms, direction: minimize}
constraints:
  - {metric: memory_gb, max: 16}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: nsga2, seed: 3}
budget: {max_trials: 20, max_parallel: 4}
`;

let srv: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  srv = await startTestServer();
  env = { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token };
});
afterAll(async () => {
  await srv?.close();
});

describe("multi-objective ask/tell from the SDK and the CLI", () => {
  it("tells values and constrained metrics, refuses a wrong count by name, and prints the Pareto set", async () => {
    const { id: studyId } = await srv.client.studies.create({ projectId: srv.projectId, yaml: SPEC });
    const a = await srv.client.trials.ask(studyId);
    const b = await srv.client.trials.ask(studyId);
    const c = await srv.client.trials.ask(studyId);

    const told = await cli(["trial", "tell", a.trialId, "--values", "0.4,20", "--metric", "memory_gb=8"], env);
    expect(told).toMatchObject({ code: 0, stdout: `trial ${a.trialId} complete (values 0.4, 20)\n` });
    const wrong = await cli(["trial", "tell", b.trialId, "--values", "0.4"], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("values: expected 2 (one per objective: loss, latency_ms), got 1.");
    await srv.client.trials.tell(b.trialId, [0.2, 30], { metrics: { memory_gb: 12 } });
    // Better in both, but over the memory bound.
    await srv.client.trials.tell(c.trialId, [0.1, 5], { metrics: { memory_gb: 20 } });

    const best = await cli(["study", "best", studyId, "--json"], env);
    const parsed = JSON.parse(best.stdout) as {
      pareto: Array<{ number: number; values: number[] }>;
      number: number;
      value: number;
    };
    expect(parsed.pareto.map((p) => [p.number, p.values])).toEqual([
      [a.number, [0.4, 20]],
      [b.number, [0.2, 30]],
    ]);
    expect(parsed).toMatchObject({ number: b.number, value: 0.2 });
    const text = await cli(["study", "best", studyId], env);
    expect(text.stdout).toMatch(new RegExp(`^Pareto set: 2 trials\\ntrial #${a.number} \\(${a.trialId}\\) values 0\\.4, 20\\n`));
    const shown = await cli(["trial", "get", c.trialId], env);
    expect(shown.stdout).toContain("values 0.1, 5\ninfeasible (constraint violations 4; ≤ 0 holds)\n");
  });

  it("optimize tells every value an objective returns", async () => {
    const { id: studyId } = await srv.client.studies.create({
      projectId: srv.projectId,
      yaml: SPEC.replace("mo-cli", "mo-optimize").replace(/constraints:\n.*\n/, ""),
    });
    const result = await srv.client.optimize(studyId, (t) => [Number(t.params.x), (1 - Number(t.params.x)) ** 2], { nTrials: 4 });
    expect(result.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "complete"]);
    const { items } = await srv.client.trials.list({ studyId });
    for (const t of items) expect(t.values).toEqual([Number(t.params.x), (1 - Number(t.params.x)) ** 2]);
    expect(result.trials.map((t) => t.values)).toEqual(items.map((t) => t.values));
  });
});

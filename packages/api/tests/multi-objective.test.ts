/**
 * Multi-objective studies and constraints through the API: ask/tell with one value per
 * objective and the constrained metrics, the Pareto set as `study.best`, infeasible trials
 * kept and shown but never best, and the hypervolume history.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, type Caller, type World } from "./fixture.js";

let w: World;
let owner: Caller;
let tc: Caller;
beforeAll(async () => {
  w = await makeWorld();
  owner = await w.as(w.A.ownerId, w.A.orgId);
  tc = await w.withToken(w.A.token);
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const TWO = `objectives:
  - {metric: loss, direction: minimize}
  - {metric: acc, direction: maximize}
constraints:
  - {metric: mem, max: 8}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: nsga2, seed: 1}
budget: {max_trials: 10, max_parallel: 10}
`;

async function study(name: string, yaml: string): Promise<string> {
  return (await owner.study.create({ projectId: w.A.projectId, yaml: `name: ${name}\n${yaml}` })).id;
}

describe("ask/tell in a multi-objective study with a constraint", () => {
  it("stores values and violations, and makes the feasible non-dominated trials the Pareto set", async () => {
    const studyId = await study("mo-ask-tell", TWO);
    const t = [];
    for (let i = 0; i < 4; i++) t.push(await tc.trial.ask({ studyId }));
    const [a, b, c, d] = t as [(typeof t)[0], (typeof t)[0], (typeof t)[0], (typeof t)[0]];

    // Bad input: a precise error, nothing stored.
    const one = await outcome(() => tc.trial.tell({ trialId: d.trialId, value: 0.6, metrics: { mem: 1 } }));
    expect(one).toMatchObject({ ok: false, message: "The study has 2 objectives (loss, acc): give values: [loss, acc]." });
    const short = await outcome(() => tc.trial.tell({ trialId: d.trialId, values: [0.6], metrics: { mem: 1 } }));
    expect(short).toMatchObject({ ok: false, message: "values: expected 2 (one per objective: loss, acc), got 1." });
    const noMem = await outcome(() => tc.trial.tell({ trialId: d.trialId, values: [0.6, 0.5] }));
    expect(noMem).toMatchObject({
      ok: false,
      message: 'metrics.mem: required: a constraint bounds "mem"; give its value in metrics.',
    });
    expect(await owner.trial.get({ trialId: d.trialId })).toMatchObject({ state: "running", values: null, feasible: null });

    await tc.trial.tell({ trialId: a.trialId, values: [0.5, 0.7], metrics: { mem: 4 } });
    await tc.trial.tell({ trialId: b.trialId, values: [0.3, 0.6], metrics: { mem: 8 } });
    // Dominates both, but breaks the memory bound: kept, shown infeasible, never best.
    await tc.trial.tell({ trialId: c.trialId, values: [0.1, 0.9], metrics: { mem: 12 } });
    await tc.trial.tell({ trialId: d.trialId, values: [0.6, 0.5], metrics: { mem: 1 } });

    expect(await owner.trial.get({ trialId: c.trialId })).toMatchObject({
      state: "complete",
      value: 0.1,
      values: [0.1, 0.9],
      feasible: false,
      constraintValues: [4],
    });
    expect(await owner.trial.get({ trialId: b.trialId })).toMatchObject({ feasible: true, constraintValues: [0] });

    const best = await owner.study.best({ studyId });
    expect(best?.pareto?.map((p) => [p.number, p.values])).toEqual([
      [a.number, [0.5, 0.7]],
      [b.number, [0.3, 0.6]],
    ]);
    expect(best?.pareto?.[0]?.params).toEqual(a.params);
    // The member of the set best on the first objective.
    expect(best).toMatchObject({ trialId: b.trialId, number: b.number, value: 0.3 });
    expect((await owner.study.get({ studyId })).best).toEqual(best);

    const plot = await owner.study.plotTrials({ studyId });
    expect(plot.trials.map((p) => [p.number, p.values, p.feasible])).toEqual([
      [a.number, [0.5, 0.7], true],
      [b.number, [0.3, 0.6], true],
      [c.number, [0.1, 0.9], false],
      [d.number, [0.6, 0.5], true],
    ]);
    // The history chart's best-so-far line never drops to the infeasible 0.1.
    const history = await owner.study.history({ studyId });
    expect(history.points.map((h) => [h.value, h.best])).toEqual([
      [0.5, 0.5],
      [0.3, 0.3],
      [0.1, 0.3],
      [0.6, 0.3],
    ]);
    const list = await owner.trial.list({ studyId });
    expect(list.items.find((i) => i.id === c.trialId)).toMatchObject({ feasible: false, constraintValues: [4] });
  });

  it("gives the hypervolume history against a given or a default reference point", async () => {
    const studyId = await study("mo-hypervolume", TWO);
    const told: Array<[number, number, number]> = [
      [0.5, 0.7, 4],
      [0.1, 0.9, 12], // infeasible: no volume
      [0.3, 0.6, 1],
      [0.6, 0.5, 1], // dominated
    ];
    const numbers = [];
    for (const [loss, acc, mem] of told) {
      const t = await tc.trial.ask({ studyId });
      numbers.push(t.number);
      await tc.trial.tell({ trialId: t.trialId, values: [loss, acc], metrics: { mem } });
    }
    // Minimize-oriented, reference (1, 0): (0.5, -0.7) alone is 0.5 · 0.7; adding (0.3, -0.6)
    // gives strips 0.7 · 0.6 + 0.5 · 0.1.
    const hv = await owner.study.hypervolume({ studyId, reference: [1, 0] });
    expect(hv.reference).toEqual([1, 0]);
    expect(hv.basedOn).toBe(3);
    expect(hv.points.map((p) => [p.number, p.hypervolume])).toEqual([
      [numbers[0], expect.closeTo(0.35, 12)],
      [numbers[2], expect.closeTo(0.47, 12)],
      [numbers[3], expect.closeTo(0.47, 12)],
    ]);
    // Default: the nadir of the feasible trials (0.6 loss, 0.5 acc) past 10% of each range.
    const auto = await owner.study.hypervolume({ studyId });
    expect(auto.reference).toEqual([expect.closeTo(0.63, 12), expect.closeTo(0.48, 12)]);

    const wrong = await outcome(() => owner.study.hypervolume({ studyId, reference: [1, 0, 3] }));
    expect(wrong).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      message: "reference: expected 2 values (one per objective), got 3.",
    });
    const single = await outcome(() => owner.study.hypervolume({ studyId: w.A.studyId }));
    expect(single).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      message: "The study has one objective; hypervolume needs several (spec objectives).",
    });
  });
});

describe("constraints in a single-objective study", () => {
  it("never makes an infeasible trial best, whatever its value", async () => {
    const studyId = await study(
      "so-constrained",
      "objective: {metric: loss, direction: minimize}\nconstraints: [{metric: mem, max: 8}, {metric: acc, min: 0.5}]\nspace:\n  x: {type: float, low: 0, high: 1}\nsampler: {name: tpe, seed: 2}\n",
    );
    const a = await tc.trial.ask({ studyId });
    const b = await tc.trial.ask({ studyId });
    await tc.trial.tell({ trialId: a.trialId, value: 0.1, metrics: { mem: 20, acc: 0.9 } });
    await tc.trial.tell({ trialId: b.trialId, value: 0.5, metrics: { mem: 2, acc: 0.6 } });
    expect(await owner.trial.get({ trialId: a.trialId })).toMatchObject({
      feasible: false,
      constraintValues: [12, expect.closeTo(-0.4, 12)],
    });
    const best = await owner.study.best({ studyId });
    expect(best).toEqual({ trialId: b.trialId, number: b.number, value: 0.5, params: b.params });
  });
});

describe("the spec refuses what several objectives rule out", () => {
  it("names register, stop_when and a pruner without pruner.objective", async () => {
    const refused = await outcome(() =>
      owner.study.create({
        projectId: w.A.projectId,
        yaml: `name: mo-register\n${TWO}register: {model: mo-model}\nrun: {command: "true"}\n`,
      }),
    );
    expect(refused).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect((refused as { message: string }).message).toContain(
      "register: needs a single objective: a multi-objective study has no one best trial; register a Pareto trial instead",
    );
    const gp = await outcome(() =>
      owner.study.create({ projectId: w.A.projectId, yaml: `name: mo-gp\n${TWO.replace("nsga2", "gp")}` }),
    );
    expect(gp).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect((gp as { message: string }).message).toContain("gp optimizes a single objective");
  });
});

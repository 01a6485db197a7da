/**
 * study.plotTrials, what the study page's slice, EDF, timeline and parallel-coordinates plots
 * draw: started trials in number order with their parameters, times and the agent that ran them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("study.plotTrials", () => {
  it("lists started trials ascending with params, times, state and agent name", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const s = await owner.study.create({
      projectId: w.A.projectId,
      yaml: "name: plots\nobjective: {metric: loss, direction: minimize}\nspace:\n  lr: {type: float, low: 1.0e-4, high: 1.0, log: true}\n  act: {type: categorical, choices: [relu, tanh]}\nsampler: {name: random, seed: 1}\nbudget: {max_trials: 8, max_parallel: 8}\n",
    });
    const tc = await w.withToken(w.A.token);
    const asked = [];
    for (let i = 0; i < 3; i++) asked.push(await tc.trial.ask({ studyId: s.id }));
    await tc.trial.tell({ trialId: asked[0]!.trialId, value: 0.5 });
    await tc.trial.tell({ trialId: asked[1]!.trialId, state: "pruned", value: 0.9 });
    // An agent's trial: the lease sets agent_id; here the team's registered agent is named on the row.
    await w.db.query(`update trials set agent_id = (select id from agents where name = $1) where id = $2`, [
      w.A.agentName,
      asked[2]!.trialId,
    ]);

    const got = await owner.study.plotTrials({ studyId: s.id });
    expect(got.truncated).toBe(false);
    expect(got.trials.map((t) => [t.number, t.state, t.value, t.agentName])).toEqual([
      [0, "complete", 0.5, null],
      [1, "pruned", 0.9, null],
      [2, "running", null, w.A.agentName],
    ]);
    expect(got.trials[0]!.params).toEqual(asked[0]!.params);
    expect(got.trials.every((t) => t.startedAt !== null)).toBe(true);
    expect(got.trials.map((t) => t.finishedAt === null)).toEqual([false, false, true]);
    expect(Date.parse(got.trials[0]!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(got.trials[0]!.startedAt!));
  });

  it("never names another team's agent, even if a row points at it", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    await w.db.query(`update trials set agent_id = (select id from agents where name = $1) where id = $2`, [
      w.B.agentName,
      w.A.runningTrialId,
    ]);
    const got = await owner.study.plotTrials({ studyId: w.A.studyId });
    expect(got.trials.map((t) => t.agentName)).not.toContain(w.B.agentName);
    expect(got.trials.find((t) => t.id === w.A.runningTrialId)!.agentName).toBeNull();
  });
});

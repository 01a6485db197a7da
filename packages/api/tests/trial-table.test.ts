/**
 * The trial table's reads and the study export: trial.list pages through every trial of a
 * 2,500-trial study with a total, filters by state, parameter equality, parameter range and
 * value range, carries the last step's metrics; openStudyExport (the export route's read)
 * yields every trial in number order to a read token of the team and to no one else.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStudyExport, exportCsvHeader, exportCsvRow } from "../src/index.js";
import { makeWorld, outcome, type World } from "./fixture.js";

const N = 2500;
let w: World;
let studyId: string;

/** What the seed below writes for trial `i`, so expectations are computed from the same rule. */
function seeded(i: number) {
  return {
    lr: 10 ** (-4 + (3 * (i % 100)) / 100),
    layers: 1 + (i % 4),
    act: i % 2 ? "tanh" : "relu",
    state: i % 10 === 9 ? "failed" : i % 10 === 8 ? "pruned" : "complete",
    value: i % 10 === 9 ? null : i / 1000,
  };
}

beforeAll(async () => {
  w = await makeWorld();
  const owner = await w.as(w.A.ownerId, w.A.orgId);
  studyId = (
    await owner.study.create({
      projectId: w.A.projectId,
      yaml: `name: big table
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 0.1, log: true}
  layers: {type: int, low: 1, high: 4}
  act: {type: categorical, choices: [relu, tanh]}
sampler: {name: random, seed: 1}
budget: {max_trials: 100000, max_parallel: 4}
`,
    })
  ).id;
  // A bulk path that writes the rows the write path would: 2,500 finished trials, each with its
  // last step's metrics (every trial reported steps 0..2; step 2 carries the metrics).
  await w.db.query(
    `insert into trials (org_id, study_id, number, state, params, value, last_step, attempt, started_at, finished_at)
     select $1, $2, i,
       (case when i % 10 = 9 then 'failed' when i % 10 = 8 then 'pruned' else 'complete' end)::trial_state,
       jsonb_build_object('lr', power(10, -4 + 3 * (i % 100) / 100.0)::float8, 'layers', 1 + i % 4, 'act', case when i % 2 = 1 then 'tanh' else 'relu' end),
       case when i % 10 = 9 then null else i / 1000.0 end, 2, 1,
       timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + i * interval '1 minute' + interval '30 seconds'
     from generate_series(0, ${N - 1}) i`,
    [w.A.orgId, studyId],
  );
  await w.db.query(
    `insert into trial_values (trial_id, org_id, step, value, metrics, attempt)
     select t.id, t.org_id, s, t.number / 1000.0, case when s = 2 then jsonb_build_object('accuracy', t.number / 10000.0, 'loss', t.number / 1000.0) end, 1
     from trials t, generate_series(0, 2) s where t.study_id = $1`,
    [studyId],
  );
  await w.db.query(`update studies set next_trial_number = ${N} where id = $1`, [studyId]);
}, 180_000);

afterAll(async () => {
  await w?.close();
});

describe("trial.list paging and filters", () => {
  it("pages through every trial by cursor with a total on each page, and jumps to the last page by offset", async () => {
    const tc = await w.withToken(w.A.token);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof tc.trial.list>> = await tc.trial.list({
        studyId,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.total).toBe(N);
      seen.push(...page.items.map((t) => t.number));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));

    const last = await tc.trial.list({ studyId, limit: 100, offset: N - 40, sort: { by: "number", dir: "asc" } });
    expect(last.items.map((t) => t.number)).toEqual(Array.from({ length: 40 }, (_, i) => N - 40 + i));
    expect(last.nextCursor).toBeNull();
    expect(last.items[0]!.metrics).toEqual({ accuracy: (N - 40) / 10000, loss: (N - 40) / 1000 });
  });

  it("filters by a parameter range, a parameter value, state and value range; the total counts the matches", async () => {
    const tc = await w.withToken(w.A.token);
    const all = Array.from({ length: N }, (_, i) => ({ number: i, ...seeded(i) }));
    const inLr = all.filter((t) => t.lr >= 0.001 && t.lr <= 0.01);
    const lr = await tc.trial.list({ studyId, limit: 2000, paramRanges: { lr: { min: 0.001, max: 0.01 } } });
    expect(lr.total).toBe(inLr.length);
    expect(lr.items.map((t) => t.number)).toEqual(inLr.map((t) => t.number));

    const both = await tc.trial.list({
      studyId,
      limit: 2000,
      paramRanges: { lr: { min: 0.001, max: 0.01 } },
      paramFilter: { layers: 3 },
      state: "complete",
      valueRange: { max: 1.5 },
    });
    const expected = inLr.filter((t) => t.layers === 3 && t.state === "complete" && t.value !== null && t.value <= 1.5);
    expect(expected.length).toBeGreaterThan(10);
    expect(both.total).toBe(expected.length);
    expect(both.items.map((t) => t.number)).toEqual(expected.map((t) => t.number));

    // A range over a categorical parameter matches nothing instead of failing the query.
    expect((await tc.trial.list({ studyId, paramRanges: { act: { min: 0 } } })).total).toBe(0);
    const byValue = await tc.trial.list({ studyId, valueRange: { min: 2 }, sort: { by: "value", dir: "desc" }, limit: 5 });
    expect(byValue.items.map((t) => t.value)).toEqual([2.498, 2.497, 2.496, 2.495, 2.494]);

    // One trial by its number (what `STUDY#N` names), and none past the last.
    const one = await tc.trial.list({ studyId, number: 42 });
    expect(one.total).toBe(1);
    expect(one.items.map((t) => [t.number, t.value, t.params.layers, t.params.act])).toEqual([
      [42, all[42]!.value, all[42]!.layers, all[42]!.act],
    ]);
    expect((await tc.trial.list({ studyId, number: N })).items).toEqual([]);
  });

  it("refuses an empty or inverted range and a cursor with an offset, precisely", async () => {
    const tc = await w.withToken(w.A.token);
    const inverted = await outcome(() => tc.trial.list({ studyId, paramRanges: { lr: { min: 0.1, max: 0.01 } } }));
    expect(inverted).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(inverted.ok ? "" : inverted.message).toContain("min must not exceed max");
    const empty = await outcome(() => tc.trial.list({ studyId, valueRange: {} }));
    expect(empty.ok ? "" : empty.message).toContain("must give min, max or both");
    const both = await outcome(() => tc.trial.list({ studyId, cursor: "100", offset: 5 }));
    expect(both.ok ? "" : both.message).toContain("give cursor or offset, not both");
  });
});

describe("study export reads", () => {
  it("yields every trial in number order with params, value, times and metrics, one batch at a time", async () => {
    const exp = await openStudyExport(w.deps, { authorization: `Bearer ${w.tokens.readOnlyA}` }, { studyId });
    expect(exp.study.name).toBe("big table");
    expect(exp.columns).toEqual({ params: ["act", "layers", "lr"], metrics: ["accuracy", "loss"], objectives: [], total: N });
    let count = 0;
    let batches = 0;
    let sample: unknown;
    for await (const batch of exp.trials()) {
      batches++;
      for (const t of batch) {
        expect(t.number).toBe(count);
        if (t.number === 1234) sample = t;
        count++;
      }
    }
    expect(count).toBe(N);
    expect(batches).toBe(3);
    const s = seeded(1234);
    expect(sample).toEqual({
      number: 1234,
      state: s.state,
      value: s.value,
      values: null,
      params: { act: s.act, layers: s.layers, lr: expect.closeTo(s.lr, 12) },
      startedAt: "2026-01-01T20:34:00.000Z",
      finishedAt: "2026-01-01T20:34:30.000Z",
      durationSeconds: 30,
      metrics: { accuracy: 0.1234, loss: 1.234 },
    });
    expect(exportCsvHeader(exp.columns)).toEqual([
      "number",
      "state",
      "value",
      "datetime_start",
      "datetime_complete",
      "duration_seconds",
      "params_act",
      "params_layers",
      "params_lr",
      "metrics_accuracy",
      "metrics_loss",
    ]);
    expect(exportCsvRow(sample as never, exp.columns).slice(0, 8)).toEqual([
      1234,
      "complete",
      1.234,
      "2026-01-01T20:34:00.000Z",
      "2026-01-01T20:34:30.000Z",
      30,
      "relu",
      3,
    ]);
  });

  it("gives a multi-objective study a values_<metric> column per objective", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const multi = await owner.study.create({
      projectId: w.A.projectId,
      yaml: `name: two objectives
objectives: [{metric: loss, direction: minimize}, {metric: latency_ms, direction: minimize}]
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 1}
budget: {max_trials: 5, max_parallel: 1}
`,
    });
    const tc = await w.withToken(w.A.token);
    const t = await tc.trial.ask({ studyId: multi.id });
    await tc.trial.tell({ trialId: t.trialId, values: [0.25, 12] });
    const exp = await openStudyExport(w.deps, { authorization: `Bearer ${w.tokens.readOnlyA}` }, { studyId: multi.id });
    expect(exp.columns.objectives).toEqual(["loss", "latency_ms"]);
    const header = exportCsvHeader(exp.columns);
    expect(header.slice(0, 5)).toEqual(["number", "state", "value", "values_loss", "values_latency_ms"]);
    const batches = [];
    for await (const b of exp.trials()) batches.push(...b);
    expect(exportCsvRow(batches[0]!, exp.columns).slice(0, 5)).toEqual([0, "complete", 0.25, 0.25, 12]);
  });

  it("answers another team's token and an agent-only token as the other reads do, and a session only in its team", async () => {
    const other = await outcome(() => openStudyExport(w.deps, { authorization: `Bearer ${w.B.token}` }, { studyId }));
    expect(other).toMatchObject({ ok: false, code: "NOT_FOUND" });
    const agent = await outcome(() => openStudyExport(w.deps, { authorization: `Bearer ${w.tokens.agentOnlyA}` }, { studyId }));
    expect(agent).toMatchObject({ ok: false, code: "FORBIDDEN" });
    const viewer = await openStudyExport(w.deps, { session: await w.sessionOf(w.viewerA.userId), orgId: w.A.orgId }, { studyId });
    expect(viewer.columns.total).toBe(N);
    const outsider = await outcome(async () =>
      openStudyExport(w.deps, { session: await w.sessionOf(w.B.ownerId), orgId: w.B.orgId }, { studyId }),
    );
    expect(outsider).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });
});

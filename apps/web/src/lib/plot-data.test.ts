import { describe, expect, it } from "vitest";
import type { TSpace } from "@autoglm/protocol";
import {
  ASK_TELL_LANE,
  edfPoints,
  paramAxes,
  parallelLines,
  slicePoints,
  TIMELINE_MAX_ROWS,
  timelineLanes,
  type PlotTrial,
} from "./plot-data";

const SPACE: TSpace = {
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
  momentum: { type: "float", low: 0.5, high: 0.99, when: { act: "relu" } },
  layers: { type: "int", low: 1, high: 4 },
};

let n = 0;
function trial(over: Partial<PlotTrial>): PlotTrial {
  n += 1;
  return {
    id: `t${n}`,
    number: n,
    state: "complete",
    value: 1,
    params: {},
    startedAt: "2030-01-01T00:00:00.000Z",
    finishedAt: "2030-01-01T00:01:00.000Z",
    agentName: null,
    ...over,
  };
}

describe("paramAxes", () => {
  it("reads the space: log floats, integers, categories in the space's order; unknown params from the trials", () => {
    const axes = paramAxes(SPACE, [trial({ params: { extra: "b" } }), trial({ params: { extra: "a", depth: 3 } })]);
    expect(axes).toEqual([
      { name: "lr", kind: "numeric", canLog: true, integer: false },
      { name: "act", kind: "categorical", categories: ["relu", "gelu", "tanh"] },
      { name: "momentum", kind: "numeric", canLog: false, integer: false },
      { name: "layers", kind: "numeric", canLog: false, integer: true },
      { name: "extra", kind: "categorical", categories: ["a", "b"] },
      { name: "depth", kind: "numeric", canLog: false },
    ]);
  });
});

describe("slicePoints", () => {
  const trials = [
    trial({ value: 0.3, params: { lr: 0.01, act: "gelu", momentum: 0.9 } }),
    trial({ value: 0.5, params: { lr: 0.1, act: "tanh" } }),
    trial({ state: "pruned", value: 0.9, params: { lr: 0.5, act: "relu" } }),
    trial({ state: "running", value: null, params: { lr: 0.2, act: "relu" } }),
    trial({ state: "failed", value: null, params: { lr: 0.3, act: "relu" } }),
  ];
  const [lr, act, momentum] = paramAxes(SPACE, trials);

  it("draws complete trials only unless pruned ones are asked for", () => {
    expect(slicePoints(trials, lr!, { includePruned: false, log: false }).map((p) => [p.x, p.value])).toEqual([
      [0.01, 0.3],
      [0.1, 0.5],
    ]);
    expect(slicePoints(trials, lr!, { includePruned: true, log: false }).map((p) => p.state)).toEqual([
      "complete",
      "complete",
      "pruned",
    ]);
  });

  it("gives categorical parameters their category's text, and leaves out trials without the parameter", () => {
    expect(slicePoints(trials, act!, { includePruned: true, log: false }).map((p) => p.x)).toEqual(["gelu", "tanh", "relu"]);
    expect(slicePoints(trials, momentum!, { includePruned: true, log: false }).map((p) => p.number)).toEqual([trials[0]!.number]);
  });

  it("leaves out values a log axis cannot place", () => {
    const withZero = [...trials, trial({ value: 0.1, params: { lr: 0 } })];
    expect(slicePoints(withZero, lr!, { includePruned: false, log: true })).toHaveLength(2);
    expect(slicePoints(withZero, lr!, { includePruned: false, log: false })).toHaveLength(3);
  });
});

describe("edfPoints", () => {
  it("sorts the objective and steps by 1/n; pruned values only when asked", () => {
    const trials = [
      trial({ value: 3 }),
      trial({ value: 1 }),
      trial({ state: "pruned", value: 2 }),
      trial({ value: 2 }),
      trial({ state: "failed", value: null }),
    ];
    expect(edfPoints(trials, { includePruned: false }).map((p) => [p.value, p.p])).toEqual([
      [1, 1 / 3],
      [2, 2 / 3],
      [3, 1],
    ]);
    expect(edfPoints(trials, { includePruned: true }).map((p) => p.p)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(edfPoints([], { includePruned: true })).toEqual([]);
  });
});

describe("timelineLanes", () => {
  it("puts each agent's trials in its lane, ask/tell last; running bars reach now; unstarted ones have none", () => {
    const now = Date.parse("2030-01-01T00:10:00.000Z");
    const lanes = timelineLanes(
      [
        trial({ agentName: "gpu-b", startedAt: "2030-01-01T00:02:00.000Z" }),
        trial({ agentName: null }),
        trial({ agentName: "gpu-a", state: "running", finishedAt: null }),
        trial({ agentName: "gpu-b", startedAt: "2030-01-01T00:00:30.000Z", finishedAt: "2030-01-01T00:01:30.000Z" }),
        trial({ agentName: "gpu-a", state: "failed", startedAt: null, finishedAt: "2030-01-01T00:00:01.000Z" }),
      ],
      now,
    );
    expect(lanes.map((l) => [l.name, l.bars.length, l.rows])).toEqual([
      ["gpu-a", 1, 1],
      ["gpu-b", 2, 1],
      [ASK_TELL_LANE, 1, 1],
    ]);
    expect(lanes[0]!.bars[0]).toMatchObject({ state: "running", start: Date.parse("2030-01-01T00:00:00.000Z"), end: now });
    // Sorted by start within a lane.
    expect(lanes[1]!.bars.map((b) => b.start)).toEqual([
      Date.parse("2030-01-01T00:00:30.000Z"),
      Date.parse("2030-01-01T00:02:00.000Z"),
    ]);
  });

  it("stacks trials that overlap in time within a lane, up to TIMELINE_MAX_ROWS rows", () => {
    const at = (min: number) => new Date(Date.parse("2030-01-01T00:00:00.000Z") + min * 60_000).toISOString();
    const [lane] = timelineLanes(
      [
        trial({ agentName: "gpu", startedAt: at(0), finishedAt: at(10) }),
        trial({ agentName: "gpu", startedAt: at(1), finishedAt: at(3) }),
        trial({ agentName: "gpu", startedAt: at(4), finishedAt: at(5) }),
        trial({ agentName: "gpu", startedAt: at(4), finishedAt: at(6) }),
      ],
      0,
    );
    expect(lane!.rows).toBe(3);
    expect(lane!.bars.map((b) => b.row)).toEqual([0, 1, 1, 2]);
    const crowd = Array.from({ length: TIMELINE_MAX_ROWS + 3 }, () =>
      trial({ agentName: null, startedAt: at(0), finishedAt: at(1) }),
    );
    const [packed] = timelineLanes(crowd, 0);
    expect(packed!.rows).toBe(TIMELINE_MAX_ROWS);
    expect(Math.max(...packed!.bars.map((b) => b.row))).toBe(TIMELINE_MAX_ROWS - 1);
  });
});

describe("parallelLines", () => {
  it("scales each axis to [0, 1]: log for log axes, categories evenly spaced, the objective last", () => {
    const trials = [
      trial({ value: 10, params: { lr: 0.001, act: "relu" } }),
      trial({ value: 20, params: { lr: 0.1, act: "tanh" } }),
      trial({ value: 15, params: { lr: 0.01, act: "gelu" } }),
      trial({ value: 5, params: { act: "gelu" } }),
    ];
    const axes = paramAxes(SPACE, trials).slice(0, 2);
    const { lines, ranges } = parallelLines(trials, axes, { includePruned: false, logAxes: new Set(["lr"]) });
    expect(ranges).toEqual([[-3, -1], null, [10, 20]]);
    expect(lines.map((l) => l.ys.map((y) => Number(y.toFixed(3))))).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [0.5, 0.5, 0.5],
    ]);
    const linear = parallelLines(trials, axes, { includePruned: false, logAxes: new Set() }).lines;
    expect(Number(linear[2]!.ys[0]!.toFixed(4))).toBe(Number((0.009 / 0.099).toFixed(4)));
  });
});

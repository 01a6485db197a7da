import { describe, expect, it } from "vitest";
import type { TSpace } from "@autoglm/protocol";
import { paramAxes, parallelLines, type PlotTrial } from "./plot-data";
import {
  brushedTableRows,
  brushedTrials,
  brushFromSpan,
  brushSpan,
  isInsideBrushes,
  OBJECTIVE_AXIS,
  type BrushAxis,
  type TableView,
} from "./plot-data-brush";

const SPACE: TSpace = {
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
  width: { type: "int", low: 10, high: 50 },
};
const OBJECTIVE: BrushAxis = { name: OBJECTIVE_AXIS, kind: "numeric", canLog: false };

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

const trials = [
  trial({ value: 0.1, params: { lr: 0.001, act: "relu", width: 10 } }),
  trial({ value: 0.2, params: { lr: 0.01, act: "gelu", width: 20 } }),
  trial({ value: 0.3, params: { lr: 0.1, act: "tanh", width: 30 } }),
  trial({ value: 0.5, params: { lr: 1, act: "relu", width: 50 } }),
  trial({ state: "pruned", value: 0.9, params: { lr: 0.5, act: "gelu", width: 40 } }),
];
const [lr, act, width] = paramAxes(SPACE, trials);

describe("brushFromSpan", () => {
  it("turns a drag on a numeric axis into a range in the parameter's own units, log axes included", () => {
    expect(brushFromSpan(width!, [10, 50], false, 0.75, 0.25)).toEqual({
      kind: "numeric",
      lo: expect.closeTo(20, 6),
      hi: expect.closeTo(40, 6),
    });
    const log = brushFromSpan(lr!, [-3, 0], true, 0, 1 / 3);
    expect(log).toMatchObject({ kind: "numeric", lo: expect.closeTo(0.001, 9), hi: expect.closeTo(0.01, 9) });
  });

  it("keeps the categories a drag covers; a drag between two covers none", () => {
    expect(brushFromSpan(act!, null, false, 0.4, 1)).toEqual({ kind: "categorical", categories: ["gelu", "tanh"] });
    expect(brushFromSpan(act!, null, false, 0.1, 0.4)).toBeNull();
  });

  it("takes a single-valued axis whole when the drag crosses its middle", () => {
    expect(brushFromSpan(OBJECTIVE, [2, 2], false, 0.3, 0.7)).toEqual({ kind: "numeric", lo: 2, hi: 2 });
    expect(brushFromSpan(OBJECTIVE, [2, 2], false, 0.6, 0.9)).toBeNull();
  });
});

describe("brushSpan", () => {
  it("draws a brush where it was dragged, clipped to the axis, and not at all when off it", () => {
    const b = brushFromSpan(width!, [10, 50], false, 0.25, 0.75)!;
    expect(brushSpan(width!, b, [10, 50], false)!.map((v) => Number(v.toFixed(6)))).toEqual([0.25, 0.75]);
    // New trials widen the axis: the brush keeps its values and moves.
    expect(brushSpan(width!, b, [10, 90], false)!.map((v) => Number(v.toFixed(6)))).toEqual([0.125, 0.375]);
    expect(brushSpan(width!, { kind: "numeric", lo: 60, hi: 70 }, [10, 50], false)).toBeNull();
    expect(brushSpan(lr!, { kind: "numeric", lo: 1e-5, hi: 0.01 }, [-3, 0], true)).toEqual([0, expect.closeTo(1 / 3, 9)]);
    expect(brushSpan(act!, { kind: "categorical", categories: ["gelu"] }, null, false)).toEqual([0.25, 0.75]);
  });
});

describe("isInsideBrushes and brushedTrials", () => {
  it("keeps the drawn lines' trials inside every brushed range, the objective's included", () => {
    const { lines } = parallelLines(trials, [lr!, act!, width!], { includePruned: false, logAxes: new Set(["lr"]) });
    const byId = new Map(trials.map((t) => [t.id, t]));
    const numbers = (b: Parameters<typeof brushedTrials>[2]) => brushedTrials(lines, byId, b).map((t) => t.number);
    const [t1, t2, t3, t4] = trials.map((t) => t.number);
    expect(numbers({})).toEqual([t1, t2, t3, t4]);
    expect(numbers({ width: { kind: "numeric", lo: 15, hi: 50 } })).toEqual([t2, t3, t4]);
    expect(
      numbers({ width: { kind: "numeric", lo: 15, hi: 50 }, act: { kind: "categorical", categories: ["relu", "tanh"] } }),
    ).toEqual([t3, t4]);
    expect(numbers({ [OBJECTIVE_AXIS]: { kind: "numeric", lo: 0.15, hi: 0.35 } })).toEqual([t2, t3]);
    // The pruned trial is inside the range but is not a line (pruned trials not drawn): not matched.
    expect(numbers({ width: { kind: "numeric", lo: 35, hi: 45 } })).toEqual([]);
  });

  it("leaves out a trial that lacks a brushed parameter", () => {
    const noWidth = trial({ value: 0.2, params: { lr: 0.01, act: "gelu" } });
    expect(isInsideBrushes(noWidth, { width: { kind: "numeric", lo: 0, hi: 100 } })).toBe(false);
    expect(isInsideBrushes(noWidth, { lr: { kind: "numeric", lo: 0, hi: 100 } })).toBe(true);
  });
});

describe("brushedTableRows", () => {
  const view = (over: Partial<TableView>): TableView => ({
    sort: { by: "number", dir: "desc" },
    state: "",
    filter: null,
    ...over,
  });

  it("applies the table's state and parameter filters and its sort to the brushed trials", () => {
    const numbers = (v: TableView) => brushedTableRows(trials, v).map((t) => t.number);
    const [t1, t2, t3, t4, t5] = trials.map((t) => t.number);
    expect(numbers(view({}))).toEqual([t5, t4, t3, t2, t1]);
    expect(numbers(view({ sort: { by: "value", dir: "asc" } }))).toEqual([t1, t2, t3, t4, t5]);
    expect(numbers(view({ state: "pruned" }))).toEqual([t5]);
    expect(numbers(view({ filter: { paramEquals: { act: "relu" }, paramRanges: {}, value: null } }))).toEqual([t4, t1]);
    expect(numbers(view({ filter: { paramEquals: {}, paramRanges: {}, value: { min: 0.25 } } }))).toEqual(
      trials
        .filter((t) => t.value !== null && t.value >= 0.25)
        .map((t) => t.number)
        .reverse(),
    );
  });
});

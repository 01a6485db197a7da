import { describe, expect, it } from "vitest";
import type { TSpace } from "@autoglm/protocol";
import { paramAxes, type PlotTrial } from "./plot-data";
import { axisPosition, cellCentres, CONTOUR_GRID, contourData, interpolateIdw, type IdwSample } from "./plot-data-contour";

const SPACE: TSpace = {
  lr: { type: "float", low: 1e-4, high: 1, log: true },
  act: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
  width: { type: "int", low: 16, high: 256 },
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

/** A smooth surface with a ridge and a bowl: what an objective over two scaled parameters looks like. */
const f = (u: number, v: number) => Math.sin(3 * u) + (v - 0.4) ** 2;

/** Deterministic jitter in [-0.5, 0.5): the golden-ratio sequence. */
const jitter = (i: number) => ((i * 0.618034) % 1) - 0.5;

describe("interpolateIdw", () => {
  // 15 × 15 samples on a jittered lattice over [0, 1]²: 225 trials.
  const samples: IdwSample[] = [];
  for (let i = 0; i < 15; i++) {
    for (let j = 0; j < 15; j++) {
      const k = i * 15 + j;
      const u = (i + 0.5 + 0.6 * jitter(2 * k)) / 15;
      const v = (j + 0.5 + 0.6 * jitter(2 * k + 1)) / 15;
      samples.push({ u, v, value: f(u, v) });
    }
  }
  const centres = cellCentres({ domain: [0, 1], cells: CONTOUR_GRID });
  const grid = interpolateIdw(samples, centres, centres);

  it("reproduces a known function at grid points near the samples", () => {
    let checked = 0;
    centres.forEach((v, j) =>
      centres.forEach((u, i) => {
        const nearest = Math.min(...samples.map((s) => Math.hypot(s.u - u, s.v - v)));
        if (nearest > 0.01) return;
        checked += 1;
        // |∇f| <= 3.2, so f moves at most 0.032 within 0.01 of a sample; 0.05 leaves room for the other samples' pull.
        expect(Math.abs(grid[j * centres.length + i]! - f(u, v))).toBeLessThan(0.05);
      }),
    );
    expect(checked).toBeGreaterThan(50);
  });

  it("stays within the samples' range everywhere and is exact on a sample", () => {
    const values = samples.map((s) => s.value);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    for (const g of grid) expect(g >= lo - 1e-12 && g <= hi + 1e-12).toBe(true);
    const s = samples[37]!;
    expect(interpolateIdw(samples, [s.u], [s.v])[0]).toBeCloseTo(s.value, 12);
  });

  it("gives samples on one spot their mean, and nothing without samples", () => {
    const same = [
      { u: 0.5, v: 0.5, value: 1 },
      { u: 0.5, v: 0.5, value: 3 },
      { u: 0, v: 0, value: 100 },
    ];
    expect(interpolateIdw(same, [0.5], [0.5])[0]).toBe(2);
    expect(Number.isNaN(interpolateIdw([], [0.5], [0.5])[0])).toBe(true);
  });
});

describe("contourData", () => {
  const trials = [
    trial({ value: 0.5, params: { lr: 0.001, act: "relu", width: 32 } }),
    trial({ value: 0.2, params: { lr: 0.01, act: "gelu", width: 64 } }),
    trial({ value: 0.9, params: { lr: 0.1, act: "tanh", width: 128 } }),
    trial({ state: "pruned", value: 2, params: { lr: 0.05, act: "relu", width: 16 } }),
    trial({ value: 0.3, params: { act: "relu", width: 100 } }),
    trial({ state: "failed", value: null, params: { lr: 0.02, act: "gelu", width: 50 } }),
  ];
  const [lr, act, width] = paramAxes(SPACE, trials);

  it("places log axes in decades and categories at their index, a cell per category", () => {
    const d = contourData(trials, lr!, act!, { logX: true, logY: false, includePruned: false });
    expect(d.points.map((p) => [p.number, p.xPos, p.yPos])).toEqual([
      [trials[0]!.number, -3, 0],
      [trials[1]!.number, -2, 1],
      [trials[2]!.number, -1, 2],
    ]);
    // The trials' extent, -3 to -1, and 3% of it more on each side.
    expect(d.x).toEqual({ domain: [expect.closeTo(-3.06, 9), expect.closeTo(-0.94, 9)], cells: CONTOUR_GRID });
    expect(d.y).toEqual({ domain: [-0.5, 2.5], cells: 3 });
    expect(d.cells).toHaveLength(CONTOUR_GRID * 3);
    expect(d.range).toEqual([0.2, 0.9]);
    // The cell nearest trial 2 (lr 0.01, gelu) is its value; no cell leaves the trials' range.
    const nearest = d.cells.reduce((a, c) => (Math.hypot(c.x + 2, c.y - 1) < Math.hypot(a.x + 2, a.y - 1) ? c : a));
    expect(nearest.value).toBeCloseTo(0.2, 1);
    for (const c of d.cells) expect(c.value >= 0.2 && c.value <= 0.9).toBe(true);
  });

  it("draws pruned trials on request, leaves out trials without a parameter or off a log axis", () => {
    const d = contourData(trials, lr!, width!, { logX: true, logY: false, includePruned: true });
    expect(d.points.map((p) => p.state)).toEqual(["complete", "complete", "complete", "pruned"]);
    expect(d.range).toEqual([0.2, 2]);
    const zero = [...trials, trial({ value: 0.1, params: { lr: 0, act: "relu", width: 20 } })];
    expect(contourData(zero, lr!, width!, { logX: true, logY: false, includePruned: false }).points).toHaveLength(3);
    expect(contourData(zero, lr!, width!, { logX: false, logY: false, includePruned: false }).points).toHaveLength(4);
  });

  it("gives a single-valued axis an extent, and an empty plot no cells", () => {
    const one = [trial({ value: 1, params: { lr: 0.01, width: 64 } }), trial({ value: 2, params: { lr: 0.01, width: 128 } })];
    const d = contourData(one, lr!, width!, { logX: true, logY: false, includePruned: false, gridSize: 10 });
    expect(d.x.domain).toEqual([-2.5, -1.5]);
    expect(d.cells).toHaveLength(100);
    expect(contourData([], lr!, width!, { logX: true, logY: false, includePruned: false })).toMatchObject({
      cells: [],
      range: null,
    });
  });
});

describe("axisPosition", () => {
  it("has no place for what an axis cannot show", () => {
    const [lr, act] = paramAxes(SPACE, []);
    expect(axisPosition(lr!, 100, true)).toBe(2);
    expect(axisPosition(lr!, -1, true)).toBeNull();
    expect(axisPosition(lr!, "x", false)).toBeNull();
    expect(axisPosition(act!, "swish", false)).toBeNull();
    expect(axisPosition(act!, undefined, false)).toBeNull();
  });
});

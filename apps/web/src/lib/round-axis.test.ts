import { describe, expect, it } from "vitest";
import { logAxis, logTicksWithin, roundAxis, roundTicksWithin } from "./round-axis";

describe("roundAxis", () => {
  it("labels a narrow accuracy range at round hundredths, not at its own ends", () => {
    expect(roundAxis([0.9405, 0.9595, 0.9785])).toEqual({
      domain: [0.94, 0.98],
      ticks: [0.94, 0.95, 0.96, 0.97, 0.98],
    });
  });

  it("keeps an accuracy axis at 1 when no value passes it", () => {
    const axis = roundAxis([0.45, 0.73, 1]);
    expect(axis?.domain).toEqual([0.4, 1]);
    expect(axis?.ticks.at(-1)).toBe(1);
  });

  it("stays tight around small values", () => {
    expect(roundAxis([0, 0.0042])).toEqual({ domain: [0, 0.005], ticks: [0, 0.001, 0.002, 0.003, 0.004, 0.005] });
  });

  it("covers negative values and every value it is given", () => {
    const values = [-39.2, 12, 120];
    const axis = roundAxis(values)!;
    expect(axis.domain).toEqual([-50, 150]);
    for (const v of values) expect(v >= axis.domain[0] && v <= axis.domain[1]).toBe(true);
    expect(axis.ticks).toEqual([-50, 0, 50, 100, 150]);
  });

  it("puts a single value mid-axis between round ticks", () => {
    const axis = roundAxis([0.5, 0.5])!;
    expect(axis.domain[0]).toBeLessThan(0.5);
    expect(axis.domain[1]).toBeGreaterThan(0.5);
    expect(axis.ticks).toContain(0.5);
  });

  it("skips values that are not finite, and gives up when none is", () => {
    expect(roundAxis([NaN, Infinity, 2, 3])?.domain).toEqual([2, 3]);
    expect(roundAxis([NaN, -Infinity])).toBeNull();
    expect(roundAxis([])).toBeNull();
  });
});

describe("roundTicksWithin", () => {
  it("labels a fixed domain at round values inside it, leaving the domain as it is", () => {
    expect(roundTicksWithin([12.92, 96.08])).toEqual([20, 40, 60, 80]);
    expect(roundTicksWithin([0.001101, 0.033739])).toEqual([0.005, 0.01, 0.015, 0.02, 0.025, 0.03]);
  });

  it("labels an integer axis at integers only", () => {
    expect(roundTicksWithin([0.96, 2.04], 5, true)).toEqual([1, 2]);
    expect(roundTicksWithin([0.5, 4.5], 5, true)).toEqual([1, 2, 3, 4]);
    expect(roundTicksWithin([12.92, 96.08], 5, true)).toEqual([20, 40, 60, 80]);
    expect(roundTicksWithin([0.2, 0.8], 5, true)).toBeUndefined();
  });

  it("leaves an empty, reversed or unbounded domain to recharts", () => {
    expect(roundTicksWithin([0, 0])).toBeUndefined();
    expect(roundTicksWithin([2, 1])).toBeUndefined();
    expect(roundTicksWithin([0, Infinity])).toBeUndefined();
  });
});

describe("logTicksWithin", () => {
  it("labels a log axis of under two decades at 1, 2 and 5 times a power of ten", () => {
    const at = logTicksWithin([Math.log10(0.001101), Math.log10(0.033739)])!;
    expect(at.map((v) => Number((10 ** v).toPrecision(6)))).toEqual([0.002, 0.005, 0.01, 0.02]);
  });

  it("leaves a span too short for two such values to recharts", () => {
    expect(logTicksWithin([Math.log10(0.0021), Math.log10(0.0049)])).toBeUndefined();
    expect(logTicksWithin([1, 1])).toBeUndefined();
  });
});

describe("logAxis", () => {
  it("under a decade, spans the data with round ticks instead of squeezing it into a decade", () => {
    const a = logAxis([0.9023, 0.9412, 0.9778]);
    expect(a?.domain).toEqual([0.9, 0.98]);
    expect(a?.ticks?.map((t) => Number(t.toFixed(6)))).toEqual([0.9, 0.92, 0.94, 0.96, 0.98]);
    const one = logAxis([0.5]);
    expect(one!.domain[0]).toBeLessThan(0.5);
    expect(one!.domain[1]).toBeGreaterThan(0.5);
  });

  it("over a decade, whole decades with 1, 2 and 5 up to two decades and the powers of ten beyond", () => {
    expect(logAxis([0.02, 0.9])).toEqual({ domain: [0.01, 1], ticks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1] });
    expect(logAxis([0.0012, 0.5])).toEqual({ domain: [0.001, 1], ticks: [0.001, 0.01, 0.1, 1] });
  });

  it("ignores values a log axis cannot show, and is null without a positive one", () => {
    expect(logAxis([0, -3, 2, 8])?.domain).toEqual([2, 8]);
    expect(logAxis([0, -1, Number.NaN])).toBeNull();
  });
});

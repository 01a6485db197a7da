import { describe, expect, it } from "vitest";
import { matchesTrialFilter, parseTrialFilter, trialListFilterInput } from "./trial-filter";

describe("parseTrialFilter", () => {
  it("reads ranges, equalities and value bounds, with commas inside brackets kept", () => {
    expect(parseTrialFilter("lr in [0.001, 0.01], layers = 3")).toEqual({
      ok: true,
      filter: { paramEquals: { layers: 3 }, paramRanges: { lr: { min: 0.001, max: 0.01 } }, value: null },
    });
    expect(parseTrialFilter("act=relu layers=3 log=true; value <= 0.5 and dropout >= 1e-2")).toEqual({
      ok: true,
      filter: {
        paramEquals: { act: "relu", layers: 3, log: true },
        paramRanges: { dropout: { min: 0.01 } },
        value: { max: 0.5 },
      },
    });
    expect(parseTrialFilter('opt = "3"')).toMatchObject({ filter: { paramEquals: { opt: "3" } } });
    expect(parseTrialFilter("lr in [, 0.1]")).toMatchObject({ filter: { paramRanges: { lr: { max: 0.1 } } } });
    expect(parseTrialFilter("   ")).toEqual({ ok: true, filter: null });
  });

  it("says what it cannot read", () => {
    expect(parseTrialFilter("relu")).toEqual({
      ok: false,
      error:
        'cannot read "relu": write name = value, name in [low, high], name >= low or name <= high (value is the trial\'s value)',
    });
    expect(parseTrialFilter("lr > 0.1")).toEqual({ ok: false, error: '"lr > 0.1": bounds are inclusive, write >=' });
    expect(parseTrialFilter("lr >= big")).toEqual({ ok: false, error: '"lr >= big": a bound must be a number' });
    expect(parseTrialFilter("lr in [0.1, 0.01]")).toEqual({ ok: false, error: "lr: no number is in [0.1, 0.01]" });
  });
});

describe("matchesTrialFilter and trialListFilterInput", () => {
  it("keeps what the server's filter keeps and builds its input", () => {
    const parsed = parseTrialFilter("lr in [0.001, 0.01], act = relu, value <= 1");
    if (!parsed.ok || !parsed.filter) throw new Error("expected a filter");
    const f = parsed.filter;
    expect(matchesTrialFilter({ params: { lr: 0.005, act: "relu" }, value: 0.5 }, f)).toBe(true);
    expect(matchesTrialFilter({ params: { lr: 0.05, act: "relu" }, value: 0.5 }, f)).toBe(false);
    expect(matchesTrialFilter({ params: { lr: "0.005", act: "relu" }, value: 0.5 }, f)).toBe(false);
    expect(matchesTrialFilter({ params: { lr: 0.005, act: "relu" }, value: null }, f)).toBe(false);
    expect(trialListFilterInput(f)).toEqual({
      paramFilter: { act: "relu" },
      paramRanges: { lr: { min: 0.001, max: 0.01 } },
      valueRange: { max: 1 },
    });
    expect(trialListFilterInput(null)).toEqual({});
  });
});

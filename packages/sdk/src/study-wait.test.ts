import { describe, expect, it } from "vitest";
import { failIfHolds, formatSeconds, parseDuration, parseFailIf } from "./study-wait.js";

describe("parseDuration", () => {
  it("reads seconds, units and compounds", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("30m")).toBe(1800);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("500ms")).toBe(0.5);
  });

  it("refuses anything else", () => {
    for (const bad of ["", "soon", "2 hours", "h", "1h30", "-5s", "1e3s"]) {
      expect(() => parseDuration(bad), bad).toThrow(/is not a duration/);
    }
  });
});

describe("parseFailIf", () => {
  it("reads best <op> number and evaluates it", () => {
    const c = parseFailIf("best > 0.1");
    expect(c).toEqual({ text: "best > 0.1", op: ">", threshold: 0.1 });
    expect(failIfHolds(c, 0.2)).toBe(true);
    expect(failIfHolds(c, 0.1)).toBe(false);
    expect(failIfHolds(parseFailIf("best<=1e-3"), 0.001)).toBe(true);
    expect(failIfHolds(parseFailIf("best != 0"), 0)).toBe(false);
  });

  it("refuses other metrics, operators and numbers", () => {
    for (const bad of ["loss > 1", "best => 1", "best > x", "best >", "best > 1 and 2"]) {
      expect(() => parseFailIf(bad), bad).toThrow(/is not a condition like "best > 0.1"/);
    }
  });
});

describe("formatSeconds", () => {
  it("prints hours and minutes, minutes and seconds, or seconds", () => {
    expect(formatSeconds(3900)).toBe("1h05m");
    expect(formatSeconds(250)).toBe("4m10s");
    expect(formatSeconds(12.4)).toBe("12s");
  });
});

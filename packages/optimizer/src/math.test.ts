import { describe, expect, it } from "vitest";
import { normCdf, normQuantile } from "./math.js";

describe("normQuantile", () => {
  it("inverts the normal CDF: the familiar quantiles, symmetric about 0", () => {
    expect(normQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normQuantile(0.5)).toBeCloseTo(0, 6);
    expect(normQuantile(0.01)).toBeCloseTo(-2.326348, 6);
    for (const p of [1e-6, 0.1, 0.7, 0.999]) expect(normCdf(normQuantile(p))).toBeCloseTo(p, 9);
  });

  it("refuses a probability outside (0, 1)", () => {
    expect(() => normQuantile(0)).toThrow(/p must be in \(0, 1\), got 0/);
    expect(() => normQuantile(1.5)).toThrow(RangeError);
    expect(() => normQuantile(Number.NaN)).toThrow(RangeError);
  });
});

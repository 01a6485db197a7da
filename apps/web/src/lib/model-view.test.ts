import { describe, expect, it } from "vitest";
import {
  defaultComparePair,
  keyParams,
  objectiveSeries,
  orderedMetrics,
  suggestModelName,
  type TModelVersion,
} from "./model-view";

function version(n: number, over: { metrics?: Record<string, number>; metric?: string; deleted?: boolean } = {}): TModelVersion {
  const metric = over.metric ?? "accuracy";
  return {
    version: n,
    metrics: over.metrics ?? { [metric]: n / 10 },
    deletedAt: over.deleted ? "2030-01-02T00:00:00.000Z" : null,
    lineage: { objective: { metric, direction: "maximize" }, params: {} },
  } as unknown as TModelVersion;
}

describe("model page helpers", () => {
  it("lists the study's objective metric first, the others by name", () => {
    const v = version(1, { metrics: { val_loss: 0.3, accuracy: 0.9, loss: 0.2 } });
    expect(orderedMetrics(v).map(([k]) => k)).toEqual(["accuracy", "loss", "val_loss"]);
  });

  it("shows four params and counts the rest", () => {
    expect(keyParams({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })).toEqual({
      shown: [
        ["a", 1],
        ["b", 2],
        ["c", 3],
        ["d", 4],
      ],
      more: 2,
    });
    expect(keyParams({ a: 1 }).more).toBe(0);
  });

  it("charts the newest live version's objective over live versions that reported it", () => {
    const series = objectiveSeries([
      version(1),
      version(2, { deleted: true }),
      version(3, { metric: "val_r2", metrics: { val_r2: 0.5 } }),
      version(4),
      version(5),
    ]);
    expect(series).toEqual({
      metric: "accuracy",
      direction: "maximize",
      points: [
        { version: 1, value: 0.1 },
        { version: 4, value: 0.4 },
        { version: 5, value: 0.5 },
      ],
    });
    expect(objectiveSeries([version(1, { deleted: true })])).toBeNull();
  });

  it("compares the two newest live versions by default, and none with fewer than two", () => {
    expect(defaultComparePair([version(1), version(2), version(3, { deleted: true })])).toEqual([1, 2]);
    expect(defaultComparePair([version(1), version(2, { deleted: true })])).toBeNull();
  });

  it("suggests a valid model name from a study's name", () => {
    expect(suggestModelName("digits mlp / v2")).toBe("digits-mlp-v2");
    expect(suggestModelName("--x")).toBe("x");
    expect(suggestModelName("é")).toBe("model");
    expect(suggestModelName("a".repeat(80))).toHaveLength(64);
    expect(suggestModelName(undefined)).toBe("model");
  });
});

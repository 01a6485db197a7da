import type { TEndpointRow } from "@autoglm/db/queries";
import { describe, expect, it } from "vitest";
import { scalingReason } from "./scaling-view.js";

const row = {
  minReplicas: 1,
  maxReplicas: 3,
  targetConcurrency: 4,
  scaleDownDelayMs: 60_000,
  desiredReplicas: 3,
  scaleReason: "scaled to 3: concurrency 11.2 over target 4",
  scaleLowSince: null,
} as unknown as TEndpointRow;

describe("scalingReason", () => {
  it("says why, and adds a cap, a scale-down under way and replicas waiting for room", () => {
    expect(scalingReason(row, { concurrency: 11.2, pending: 0, nowMs: 0 })).toBe("scaled to 3: concurrency 11.2 over target 4");
    expect(scalingReason(row, { concurrency: 20, pending: 2, nowMs: 0 })).toBe(
      "scaled to 3: concurrency 11.2 over target 4; capped at maxReplicas 3 (the load asks for 5); 2 replicas waiting for an agent with room",
    );
    const lowering = { ...row, scaleLowSince: new Date(100_000) };
    expect(scalingReason(lowering, { concurrency: 1, pending: 0, nowMs: 115_500 })).toBe(
      "scaled to 3: concurrency 11.2 over target 4; the load needs fewer now: scaling down in 45 s unless it returns",
    );
    expect(scalingReason({ ...row, scaleReason: null }, { concurrency: 0, pending: 1, nowMs: 0 })).toBe(
      "at minReplicas 1: the load needs no more; 1 replica waiting for an agent with room",
    );
  });
});

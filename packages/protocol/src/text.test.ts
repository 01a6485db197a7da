import { describe, expect, it } from "vitest";
import { ZAgentRegister, ZTrialComplete } from "./events/schemas.js";
import { ZMetricValues } from "./metric-line.js";
import { findNul, NUL_MESSAGE } from "./text.js";

describe("NUL characters", () => {
  it("are found in strings and keys at any depth, with their path", () => {
    expect(findNul({ a: [1, "ok", { b: "x\u0000" }] })).toEqual(["a", 2, "b"]);
    expect(findNul({ "k\u0000": 1 })).toEqual(["k\u0000"]);
    expect(findNul({ a: ["fine"], b: 2 })).toBeNull();
  });

  it("are refused in what an agent registers and in metric names, and cleaned from printed text", () => {
    const register = {
      v: 1,
      name: "a",
      host: "h",
      cpuCores: 1,
      memoryMb: 1,
      gpus: [],
      labels: { pool: "x\u0000" },
      maxTrials: 1,
      running: [],
    };
    const r = ZAgentRegister.safeParse(register);
    expect(r.success === false && r.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["labels.pool", NUL_MESSAGE],
    ]);
    expect(ZMetricValues.safeParse({ "loss\u0000": 1 }).success).toBe(false);
    const ref = {
      trialId: "00000000-0000-4000-8000-000000000001",
      attempt: 1,
      leaseToken: "00000000-0000-4000-8000-000000000002",
    };
    const done = ZTrialComplete.parse({
      ...ref,
      v: 1,
      seq: 0,
      outcome: "failed",
      reason: "exit\u00001",
      exitCode: 1,
      signal: null,
      logTail: "a\u0000b",
    });
    expect([done.reason, done.logTail]).toEqual(["exit\uFFFD1", "a\uFFFDb"]);
  });
});

import { describe, expect, it } from "vitest";
import { formatFinalLine, formatMetricLine, parseMetricLine } from "../metric-line.js";
import { AGENT_EVENT_SCHEMAS, NON_CONSUMING_END_CODES, ZAgentRegister, ZTrialComplete, ZTrialMetric } from "./index.js";

const ID = "0b0f3a52-4a4e-4d37-9f7e-7c3f4d6a1e11";

describe("metric lines", () => {
  it("classifies reports, finals, logs and malformed reports", () => {
    expect(parseMetricLine('{"autoglm": 1, "step": 7, "metrics": {"loss": 0.42, "acc": 0.81}}')).toEqual({
      kind: "step",
      step: 7,
      metrics: { loss: 0.42, acc: 0.81 },
    });
    expect(parseMetricLine('  {"autoglm":1,"final":{"loss":0.3}}  ')).toEqual({ kind: "final", metrics: { loss: 0.3 } });
    expect(parseMetricLine("epoch 3 loss 0.4")).toEqual({ kind: "log", line: "epoch 3 loss 0.4" });
    expect(parseMetricLine('{"other": 1}')).toEqual({ kind: "log", line: '{"other": 1}' });
    expect(parseMetricLine('{"autoglm": 1, "step": -1, "metrics": {"loss": 1}}').kind).toBe("invalid");
    expect(parseMetricLine('{"autoglm": 1, "step": 1.5, "metrics": {"loss": 1}}').kind).toBe("invalid");
    expect(parseMetricLine('{"autoglm": 1, "step": 1, "metrics": {"loss": "NaN"}}').kind).toBe("invalid");
    expect(parseMetricLine('{"autoglm": 2, "step": 1, "metrics": {"loss": 1}}').kind).toBe("invalid");
    expect(parseMetricLine('{"autoglm": 1, broken').kind).toBe("log");
    expect(parseMetricLine(`{"autoglm": 1, "x": "${"a".repeat(70_000)}"}`).kind).toBe("log");
  });

  it("round-trips the formatters", () => {
    expect(parseMetricLine(formatMetricLine(3, { loss: 1 }))).toEqual({ kind: "step", step: 3, metrics: { loss: 1 } });
    expect(parseMetricLine(formatFinalLine({ loss: 2 }))).toEqual({ kind: "final", metrics: { loss: 2 } });
  });
});

describe("event schemas", () => {
  it("has one schema per agent event, each strict and versioned", () => {
    expect(Object.keys(AGENT_EVENT_SCHEMAS).sort()).toEqual([
      "agent:heartbeat",
      "agent:ready",
      "agent:register",
      "replica:ended",
      "replica:ready",
      "trial:complete",
      "trial:metric",
    ]);
    const reg = {
      v: 1,
      name: "gpu-1",
      host: "h",
      cpuCores: 8,
      memoryMb: 1024,
      gpus: [],
      labels: { zone: "a" },
      maxTrials: 1,
      running: [],
    };
    expect(ZAgentRegister.safeParse(reg).success).toBe(true);
    expect(ZAgentRegister.safeParse({ ...reg, v: 2 }).success).toBe(false);
    expect(ZAgentRegister.safeParse({ ...reg, token: "agl_x" }).success).toBe(false);
    expect(ZAgentRegister.safeParse({ ...reg, name: "a b" }).success).toBe(false);
    const metric = { v: 1, trialId: ID, attempt: 1, leaseToken: ID, seq: 0, points: [{ step: 0, metrics: { loss: 1 } }] };
    expect(ZTrialMetric.safeParse(metric).success).toBe(true);
    expect(ZTrialMetric.safeParse({ ...metric, points: [] }).success).toBe(false);
    expect(ZTrialMetric.safeParse({ ...metric, points: [{ step: 0, metrics: { loss: Infinity } }] }).success).toBe(false);
    expect(
      ZTrialComplete.safeParse({
        v: 1,
        trialId: ID,
        attempt: 1,
        leaseToken: ID,
        seq: 1,
        outcome: "complete",
        exitCode: 0,
        signal: null,
      }).success,
    ).toBe(true);
    expect(
      ZTrialComplete.safeParse({
        v: 1,
        trialId: ID,
        attempt: 1,
        leaseToken: ID,
        seq: 1,
        outcome: "done",
        exitCode: 0,
        signal: null,
      }).success,
    ).toBe(false);
  });

  it("lists the end codes that do not spend an attempt", () => {
    expect([...NON_CONSUMING_END_CODES].sort()).toEqual(["AGENT_SHUTDOWN", "LEASE_NOT_DELIVERED", "LEASE_REJECTED"]);
  });
});

import type { TLiveReplica, TServingEndpoint } from "@autoglm/db/queries";
import { describe, expect, it } from "vitest";
import { decideScale, replicasForLoad, type TScaleInput } from "./autoscale-policy.js";
import { planEndpoint } from "./serving-plan.js";

const base: TScaleInput = {
  minReplicas: 1,
  maxReplicas: 3,
  targetConcurrency: 4,
  scaleDownDelayMs: 60_000,
  state: { desiredReplicas: null, lowSinceMs: null, lowPeak: null },
  load: { concurrency: 0, rps: 0 },
  nowMs: 1_000_000,
};

describe("decideScale", () => {
  it("scales up at once to ceil(concurrency / target), never above max", () => {
    const d = decideScale({ ...base, load: { concurrency: 11.2, rps: 40 } });
    expect(d.desired).toBe(3);
    expect(d.event).toBe("scaled to 3: concurrency 11.2 over target 4");
    expect(decideScale({ ...base, load: { concurrency: 80, rps: 400 } }).desired).toBe(3);
    expect(replicasForLoad({ ...base, load: { concurrency: 8.000000001, rps: 1 } })).toBe(2);
  });

  it("keeps one replica for traffic when min is 0, and none without traffic", () => {
    expect(replicasForLoad({ ...base, minReplicas: 0, load: { concurrency: 0, rps: 0.5 } })).toBe(1);
    expect(replicasForLoad({ ...base, minReplicas: 0, load: { concurrency: 0, rps: 0 } })).toBe(0);
  });

  it("scales down only after the load stayed low for the whole window, to the most it asked for meanwhile", () => {
    const at3 = { desiredReplicas: 3, lowSinceMs: null, lowPeak: null };
    const t0 = decideScale({ ...base, state: at3, load: { concurrency: 5, rps: 10 } });
    expect(t0).toMatchObject({ desired: 3, event: null, next: { desiredReplicas: 3, lowSinceMs: base.nowMs, lowPeak: 2 } });
    const t1 = decideScale({ ...base, state: t0.next, load: { concurrency: 0, rps: 0 }, nowMs: base.nowMs + 59_000 });
    expect(t1).toMatchObject({ desired: 3, next: { lowSinceMs: base.nowMs, lowPeak: 2 } });
    const t2 = decideScale({ ...base, state: t1.next, load: { concurrency: 0, rps: 0 }, nowMs: base.nowMs + 60_000 });
    expect(t2.desired).toBe(2);
    expect(t2.next).toEqual({ desiredReplicas: 2, lowSinceMs: null, lowPeak: null });
    expect(t2.event).toBe("scaled down to 2: concurrency 0.0 (target 4 per replica) stayed low for 60 s");
    // Load back at the old level within the window: the window restarts.
    const back = decideScale({ ...base, state: t1.next, load: { concurrency: 12, rps: 30 }, nowMs: base.nowMs + 30_000 });
    expect(back.next).toEqual({ desiredReplicas: 3, lowSinceMs: null, lowPeak: null });
  });

  it("follows a lowered max or a raised min at once", () => {
    const at3 = { desiredReplicas: 3, lowSinceMs: null, lowPeak: null };
    expect(decideScale({ ...base, maxReplicas: 2, state: at3, load: { concurrency: 20, rps: 9 } }).desired).toBe(2);
    expect(decideScale({ ...base, minReplicas: 4, maxReplicas: 5, state: at3 }).desired).toBe(4);
  });
});

describe("planEndpoint with an autoscaled count", () => {
  const ep: TServingEndpoint = {
    id: "e",
    orgId: "o",
    name: "ep",
    minReplicas: 1,
    maxReplicas: 3,
    targetConcurrency: 1,
    scaleDownDelayMs: 1_000,
    desiredReplicas: 3,
    scaleLowSinceMs: null,
    scaleLowPeak: null,
    targetVersionId: "v2",
    isDeleted: false,
    recentFailures: 0,
  };
  const replica = (id: string, versionId: string, state: TLiveReplica["state"] = "ready"): TLiveReplica => ({
    id,
    endpointId: "e",
    versionId,
    agentId: "a",
    state,
    leaseToken: "t",
  });

  it("adds replicas up to the desired count and drains the least loaded ready one on the way down", () => {
    const three = [replica("r1", "v2"), replica("r2", "v2"), replica("r3", "v2")];
    expect(planEndpoint(ep, three.slice(0, 1), 3, { desired: 3 })).toEqual({ add: 2, retire: [] });
    const plan = planEndpoint(ep, three, 3, { desired: 2, replicaLoad: { r1: 2.5, r2: 0.2, r3: 1 } });
    expect(plan).toEqual({ add: 0, retire: ["r2"] });
  });

  it("keeps the scaled count through a rollout: the old version drains once as many new replicas are ready", () => {
    const old = [replica("o1", "v1"), replica("o2", "v1"), replica("o3", "v1")];
    expect(planEndpoint(ep, old, 3, { desired: 3 })).toEqual({ add: 3, retire: [] });
    const twoReady = [...old, replica("n1", "v2"), replica("n2", "v2"), replica("n3", "v2", "starting")];
    expect(planEndpoint(ep, twoReady, 3, { desired: 3 }).retire).toEqual([]);
    const allReady = [...old, replica("n1", "v2"), replica("n2", "v2"), replica("n3", "v2")];
    expect(planEndpoint(ep, allReady, 3, { desired: 3 }).retire).toEqual(["o1", "o2", "o3"]);
  });
});

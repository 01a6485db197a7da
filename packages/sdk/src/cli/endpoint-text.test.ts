import { describe, expect, it } from "vitest";
import type { EndpointDetail } from "../router-types.js";
import { endpointText } from "./endpoint-text.js";

const REASON = 'refused to load digits version 2: file "model.json": no longer matches its recorded SHA-256';

/** An endpoint as endpoint.get answers it: version 2 refused three times, version 1 still ready. */
function refused(overrides: Partial<EndpointDetail> = {}): EndpointDetail {
  const replica = (id: string, version: number, state: "ready" | "failed", reason: string | null) => ({
    id,
    version,
    state,
    agent: "gpu-1",
    gpus: [],
    reason,
    createdAt: "2026-12-06T10:00:00.000Z",
    readyAt: state === "ready" ? "2026-12-06T10:00:05.000Z" : null,
    endedAt: state === "failed" ? "2026-12-06T10:01:00.000Z" : null,
  });
  return {
    id: "e1",
    name: "digits",
    model: "digits",
    alias: "production",
    fixedVersion: null,
    targetVersion: 2,
    minReplicas: 1,
    maxReplicas: 2,
    desiredReplicas: 1,
    autoscale: { targetConcurrency: 4, scaleDownDelaySeconds: 60 },
    resources: { gpus: 0 },
    path: "/serve/team/digits",
    url: "http://127.0.0.1:3000/serve/team/digits",
    replicaCounts: { pending: 0, starting: 0, ready: 1, draining: 0 },
    createdAt: "2026-12-06T10:00:00.000Z",
    updatedAt: "2026-12-06T10:01:00.000Z",
    protocols: ["mlflow", "kserve-v2"],
    refusal: { version: 2, reason: REASON, failures: 3, retryAt: "2026-12-06T11:00:00.000Z" },
    scaling: { concurrency: 0, rps: 0, desiredReplicas: 1, reason: "at min", history: [] },
    replicas: [replica("aaaaaaaa-1", 1, "ready", null), replica("bbbbbbbb-2", 2, "failed", REASON)],
    revisions: [{ version: 2, via: "alias", movedBy: "ada@example.com", movedAt: "2026-12-06T10:00:30.000Z" }],
    keys: [],
    ...overrides,
  } as EndpointDetail;
}

describe("autoglm endpoint show", () => {
  it("says a refused version did not come up, why, that the old one keeps serving, and when it is tried again", () => {
    const text = endpointText(refused());
    expect(text).toContain(`REFUSED: version 2 did not come up (the version before it keeps serving): ${REASON}`);
    expect(text).toContain("stopped starting it after 3 failures in the last hour; tries again at 2026-12-06 11:00:00");
    // Said before the replica table, where a person looks first.
    expect(text.indexOf("REFUSED")).toBeLessThan(text.indexOf("REPLICA"));
  });

  it("says nothing is serving when no replica is ready, and that it still tries before the limit", () => {
    const e = refused();
    const text = endpointText({
      ...e,
      refusal: { ...e.refusal!, failures: 1, retryAt: null },
      replicas: e.replicas.filter((r) => r.state === "failed"),
    });
    expect(text).toContain("REFUSED: version 2 did not come up (nothing is serving)");
    expect(text).toContain("1 failure in the last hour; still trying");
  });

  it("prints no refusal line for an endpoint whose target serves", () => {
    expect(endpointText(refused({ refusal: null }))).not.toContain("REFUSED");
  });
});

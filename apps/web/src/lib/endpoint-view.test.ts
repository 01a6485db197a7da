import { describe, expect, it } from "vitest";
import { absoluteUrl, rolloutOf } from "./endpoint-view";

describe("rolloutOf", () => {
  const r = (version: number, state: string, reason: string | null = null, agent: string | null = "a1") =>
    ({ version, state, reason, agent }) as Parameters<typeof rolloutOf>[0][number];

  it("is ready once a replica of the version is, whatever the old version's replicas do", () => {
    expect(rolloutOf([r(1, "draining"), r(2, "ready")], 2).phase).toBe("ready");
    expect(rolloutOf([r(1, "ready"), r(2, "starting")], 2)).toEqual({
      phase: "waiting",
      text: "Starting on a1: loading the model…",
    });
  });

  it("fails with the replica's reason only when none of the version is still coming up", () => {
    expect(rolloutOf([r(2, "failed", "digest mismatch")], 2)).toEqual({ phase: "failed", text: "digest mismatch" });
    expect(rolloutOf([r(2, "failed", "x"), r(2, "pending", null, null)], 2).phase).toBe("waiting");
    expect(rolloutOf([], 2).text).toMatch(/Waiting for an agent/);
  });
});

describe("absoluteUrl", () => {
  it("prefixes a path with the page's origin and leaves a full URL alone", () => {
    expect(absoluteUrl("/serve/t/e", "http://h:3000")).toBe("http://h:3000/serve/t/e");
    expect(absoluteUrl("https://x/serve/t/e", "http://h:3000")).toBe("https://x/serve/t/e");
  });
});

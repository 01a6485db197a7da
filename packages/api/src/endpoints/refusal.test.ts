import { describe, expect, it } from "vitest";
import { refusalOf } from "./refusal.js";

const now = Date.parse("2026-12-06T10:00:00Z");
const ago = (min: number) => new Date(now - min * 60_000);
const failed = (version: number, min: number, reason = `refused to load m version ${version}: file "model.json": digest`) => ({
  version,
  state: "failed",
  reason,
  endedAt: ago(min),
});
const ready = (version: number) => ({ version, state: "ready", reason: null, endedAt: null });

describe("an endpoint's refused target version", () => {
  it("is null while nothing of the target failed, or once one of its replicas is ready", () => {
    expect(refusalOf(2, [ready(1)], now)).toBeNull();
    expect(refusalOf(2, [ready(2), failed(2, 1)], now)).toBeNull();
    expect(refusalOf(null, [failed(2, 1)], now)).toBeNull();
    // Failures of the previous version, of a lost agent, or over an hour ago do not count.
    expect(
      refusalOf(2, [ready(1), failed(1, 1), failed(2, 61), failed(2, 1, "AGENT_LOST: the agent went away")], now),
    ).toBeNull();
  });

  it("names the latest reason, and says when the platform tries again once it stopped", () => {
    const one = refusalOf(2, [ready(1), failed(2, 5, "first"), failed(2, 1, "second")], now);
    expect(one).toEqual({ version: 2, reason: "second", failures: 2, retryAt: null });
    const stopped = refusalOf(2, [ready(1), failed(2, 50, "a"), failed(2, 30, "b"), failed(2, 10, "c"), failed(2, 20, "d")], now);
    // Four failures, limit three: starting resumes when the two oldest (50 and 30 minutes ago) have aged out.
    expect(stopped).toEqual({
      version: 2,
      reason: "c",
      failures: 4,
      retryAt: new Date(ago(30).getTime() + 3_600_000).toISOString(),
    });
  });
});

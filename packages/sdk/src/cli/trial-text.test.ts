import { describe, expect, it } from "vitest";
import type { TrialDetail } from "../router-types.js";
import { trialText } from "./trial-text.js";

function trial(overrides: Partial<TrialDetail> = {}): TrialDetail {
  return {
    id: "7d0c2a4e-1111-4000-8000-000000000001",
    studyId: "5a0c2a4e-1111-4000-8000-000000000002",
    number: 12,
    state: "complete",
    value: 0.398776,
    values: [0.398776],
    feasible: null,
    constraintValues: null,
    params: { lr: 0.001, layers: 3 },
    attempt: 1,
    startedAt: "2026-12-07T18:35:01.000Z",
    finishedAt: "2026-12-07T18:35:03.100Z",
    endCode: "COMPLETED",
    endReason: null,
    lastStep: 9,
    proposedBy: "tpe",
    intermediate: [],
    attempts: [
      {
        attempt: 1,
        leaseKind: "agent",
        agentId: "a1",
        agentName: "gpu-box",
        startedAt: "2026-12-07T18:35:01.000Z",
        endedAt: "2026-12-07T18:35:03.100Z",
        endCode: "COMPLETED",
        endReason: null,
        logTail: "epoch 9 loss=0.40\n",
      },
    ],
    ...overrides,
  };
}

describe("trialText", () => {
  it("a completed trial: state, who proposed it, value, params and where it ran", () => {
    expect(trialText(trial())).toBe(
      "trial #12 (7d0c2a4e-1111-4000-8000-000000000001) complete, proposed by tpe\n" +
        "value 0.398776\n" +
        "lr=0.001 layers=3\n" +
        "\n" +
        "ATTEMPT  WHERE          STARTED              TOOK   END\n" +
        "1        agent gpu-box  2026-12-07 18:35:01  2.1 s  COMPLETED\n",
    );
  });

  it("a failed trial: why it ended, each attempt, and the end of its last log", () => {
    const log = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
    const text = trialText(
      trial({
        state: "failed",
        value: null,
        values: null,
        endCode: "EXIT_NONZERO",
        endReason: "the command exited with code 1",
        attempt: 2,
        attempts: [
          { ...trial().attempts[0]!, endCode: "AGENT_LOST", endedAt: "2026-12-07T18:38:01.000Z", logTail: "first try" },
          {
            ...trial().attempts[0]!,
            attempt: 2,
            startedAt: "2026-12-07T18:40:00.000Z",
            endedAt: "2026-12-07T18:40:01.500Z",
            endCode: "EXIT_NONZERO",
            logTail: `${log}\n`,
          },
        ],
      }),
    );
    expect(text).toContain(") failed, proposed by tpe\nended EXIT_NONZERO: the command exited with code 1\nvalue -\n");
    expect(text).toContain("1        agent gpu-box  2026-12-07 18:35:01  3.0 min  AGENT_LOST\n");
    expect(text).toContain("2        agent gpu-box  2026-12-07 18:40:00  1.5 s    EXIT_NONZERO\n");
    expect(text).toMatch(/\nlast log lines of attempt 2:\n {2}line 16\n[\s\S]* {2}line 30\n$/);
    expect(text).not.toContain("line 15\n");
    expect(text).not.toContain("first try");
  });

  it("an ask/tell trial still running has no end line", () => {
    const text = trialText(
      trial({
        state: "running",
        value: null,
        values: null,
        endCode: null,
        proposedBy: null,
        attempts: [{ ...trial().attempts[0]!, leaseKind: "ask", agentId: null, agentName: null, endedAt: null, endCode: null }],
      }),
    );
    expect(text.split("\n")[0]).toBe("trial #12 (7d0c2a4e-1111-4000-8000-000000000001) running");
    expect(text).not.toContain("ended");
    expect(text).toContain("1        ask/tell  2026-12-07 18:35:01  running  -\n");
  });
});

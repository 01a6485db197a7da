import { describe, expect, it } from "vitest";
import { artifactKey, artifactPrefix, checkRelativeName } from "./artifact-key.js";

const owner = { teamId: "7b0c1d2e-0000-4000-8000-000000000001", projectId: "p1", studyId: "s1", trialId: "t1", attempt: 2 };
const prefix = "teams/7b0c1d2e-0000-4000-8000-000000000001/projects/p1/studies/s1/trials/t1/attempts/2/";

describe("artifactKey", () => {
  it("builds the key from the server's ids and a checked relative name", () => {
    expect(artifactKey(owner, "model/weights.safetensors")).toBe(`${prefix}model/weights.safetensors`);
    expect(artifactPrefix(owner)).toBe(prefix);
    // Names people use: dots inside names, dot-files, spaces, unicode, a literal "%".
    for (const name of [".hydra/config.yaml", "a..b", "run 1/résultats.csv", "100%.txt", "ckpt-%41.pt"]) {
      expect(artifactKey(owner, name)).toBe(prefix + name);
    }
  });

  it.each([
    ["", "artifact name is empty"],
    ["/etc/passwd", 'artifact name "/etc/passwd" is an absolute path'],
    ["C:/Windows/x", 'artifact name "C:/Windows/x" is an absolute path'],
    ["../../etc/passwd", 'artifact name "../../etc/passwd" contains a ".." segment'],
    ["a/../../b", 'artifact name "a/../../b" contains a ".." segment'],
    ["a/./b", 'artifact name "a/./b" contains a "." segment'],
    ["a\\..\\b", 'artifact name "a\\\\..\\\\b" contains a backslash (use "/" between directories)'],
    ["a\0b", 'artifact name "a\\u0000b" contains the control character U+0000'],
    ["a\nb", 'artifact name "a\\nb" contains the control character U+000A'],
    ["%2e%2e%2fetc", 'artifact name "%2e%2e%2fetc" contains a ".." segment once percent-decoded ("../etc")'],
    ["%252e%252e/x", 'artifact name "%252e%252e/x" contains a ".." segment once percent-decoded ("../x")'],
    ["%2fetc", 'artifact name "%2fetc" is an absolute path once percent-decoded ("/etc")'],
    ["a%5cb", 'artifact name "a%5cb" contains a backslash once percent-decoded ("a\\\\b") (use "/" between directories)'],
    ["a%00b", 'artifact name "a%00b" contains the control character U+0000 once percent-decoded ("a\\u0000b")'],
    ["a//b", 'artifact name "a//b" has an empty segment (a leading, trailing or doubled "/")'],
    ["dir/", 'artifact name "dir/" has an empty segment (a leading, trailing or doubled "/")'],
    [`${"x".repeat(256)}`, `artifact name "${"x".repeat(256)}" has a segment of 256 bytes (at most 255)`],
    [`${"d/".repeat(300)}f`, `artifact name "${`${"d/".repeat(300)}f`.slice(0, 300)}…" is 601 bytes long (at most 512)`],
  ])("refuses %j: %s", (name, message) => {
    expect(() => artifactKey(owner, name)).toThrow(message);
    expect(() => checkRelativeName(name)).toThrow(expect.objectContaining({ code: "INVALID_NAME", message }));
  });

  it("refuses ids the server would never choose", () => {
    expect(() => artifactKey({ ...owner, teamId: "../x" }, "a")).toThrow(
      'teamId "../x" is not an id (letters, digits, "_" and "-", at most 64)',
    );
    expect(() => artifactKey({ ...owner, trialId: "" }, "a")).toThrow('trialId "" is not an id');
    expect(() => artifactKey({ ...owner, attempt: -1 }, "a")).toThrow('attempt "-1" is not a non-negative integer');
    expect(() => artifactKey({ ...owner, attempt: 1.5 }, "a")).toThrow('attempt "1.5" is not a non-negative integer');
  });
});

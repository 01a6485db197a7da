import { describe, expect, it } from "vitest";
import { ZTrialComplete } from "./events/index.js";
import { formatSourceLine, MAX_METRIC_LINE_BYTES, parseMetricLine } from "./metric-line.js";

const SHA = "3f2a9c0d1e4b5a6978877665544332211ffeeddc";

describe("source lines", () => {
  it("reads a source reference as its own kind, the sha lower-cased", () => {
    expect(
      parseMetricLine(`{"autoglm": 1, "source": {"git": "${SHA.toUpperCase()}", "repo": "https://example.com/a.git"}}`),
    ).toEqual({ kind: "source", source: { git: SHA, repo: "https://example.com/a.git" } });
    expect(parseMetricLine('{"autoglm":1,"source":{"branch":"main","path":"train/","dirty":true}}')).toEqual({
      kind: "source",
      source: { branch: "main", path: "train/", dirty: true },
    });
    expect(parseMetricLine(formatSourceLine({ git: "abcdef1" }))).toEqual({ kind: "source", source: { git: "abcdef1" } });
  });

  it("drops the credentials of a clone URL, never a scp-like address", () => {
    const repoOf = (repo: string) => {
      const p = parseMetricLine(JSON.stringify({ autoglm: 1, source: { repo } }));
      return p.kind === "source" ? p.source.repo : p.kind;
    };
    expect(repoOf("https://ci:ghp_secret@github.com/team/model.git")).toBe("https://github.com/team/model.git");
    expect(repoOf("https://github.com/team/model.git")).toBe("https://github.com/team/model.git");
    expect(repoOf("git@github.com:team/model.git")).toBe("git@github.com:team/model.git");
  });

  it("refuses a malformed source with the field that is wrong", () => {
    const invalid = (source: unknown) => {
      const p = parseMetricLine(JSON.stringify({ autoglm: 1, source }));
      return p.kind === "invalid" ? p.error : `not invalid: ${p.kind}`;
    };
    expect(invalid({ git: "abc" })).toBe("source.git: must be a commit sha: 7 to 64 hex digits");
    expect(invalid({ git: "g".repeat(40) })).toBe("source.git: must be a commit sha: 7 to 64 hex digits");
    expect(invalid({ git: "a".repeat(65) })).toBe("source.git: must be a commit sha: 7 to 64 hex digits");
    expect(invalid({ git: SHA, token: "x" })).toBe("source: Unrecognized key(s) in object: 'token'");
    expect(invalid({ repo: "r".repeat(501) })).toBe("source.repo: String must contain at most 500 character(s)");
    expect(invalid({ dirty: "yes" })).toBe("source.dirty: Expected boolean, received string");
    expect(invalid({ repo: "a\u0000b" })).toBe("source.repo: must not contain a NUL character (\\u0000)");
    expect(invalid({})).toBe("source: name at least one of git, repo, branch, path, dirty");
    expect(invalid("main")).toBe("source: Expected object, received string");
    // A source line carries nothing else (no metrics riding along).
    expect(parseMetricLine(JSON.stringify({ autoglm: 1, source: { git: SHA }, final: { loss: 1 } })).kind).toBe("invalid");
  });

  it("leaves an oversized line to the log, unparsed", () => {
    const line = JSON.stringify({ autoglm: 1, source: { repo: "r".repeat(MAX_METRIC_LINE_BYTES) } });
    expect(parseMetricLine(line).kind).toBe("log");
  });

  it("rides on the completion, checked by the same schema", () => {
    const complete = {
      v: 1,
      trialId: "0b0f3a52-4a4e-4d37-9f7e-7c3f4d6a1e11",
      attempt: 1,
      leaseToken: "1c0f3a52-4a4e-4d37-9f7e-7c3f4d6a1e11",
      seq: 0,
      outcome: "complete",
      exitCode: 0,
      signal: null,
    };
    expect(ZTrialComplete.parse({ ...complete, source: { git: SHA } }).source).toEqual({ git: SHA });
    expect(ZTrialComplete.safeParse({ ...complete, source: { git: "nope" } }).success).toBe(false);
  });
});

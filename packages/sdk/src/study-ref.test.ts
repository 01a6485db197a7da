import { describe, expect, it } from "vitest";
import { AutoglmError } from "./errors.js";
import { pickStudy, splitTrialRef, type StudyRefCandidate } from "./study-ref.js";

const P1 = "11111111-0000-4000-8000-000000000001";
const P2 = "11111111-0000-4000-8000-000000000002";
const slugs: Record<string, string> = { [P1]: "vision", [P2]: "nlp" };
const slugOf = (id: string) => slugs[id] ?? id;

const study = (id: string, name: string, projectId: string, createdAt: string): StudyRefCandidate => ({
  id,
  name,
  projectId,
  createdAt,
});

const STUDIES = [
  study("03248393-3e1a-4268-967a-dda34d513a9d", "branin", P1, "2026-12-01T10:00:00Z"),
  study("0324f000-1111-4268-967a-dda34d513a9d", "branin", P1, "2026-12-02T10:00:00Z"),
  study("db2e3a22-9576-4d08-bbcf-572d96219999", "resnet/lr", P1, "2026-12-01T10:00:00Z"),
  study("a1b2c3d4-9576-4d08-bbcf-572d96219999", "sweep", P1, "2026-12-01T10:00:00Z"),
  study("e5f6a7b8-9576-4d08-bbcf-572d96219999", "sweep", P2, "2026-12-03T10:00:00Z"),
];

function errorOf(fn: () => unknown): AutoglmError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AutoglmError) return err;
    throw err;
  }
  throw new Error("expected an AutoglmError");
}

describe("pickStudy", () => {
  it("takes a name, and the newest study when one project has several of that name", () => {
    expect(pickStudy("branin", STUDIES, slugOf)).toBe("0324f000-1111-4268-967a-dda34d513a9d");
  });

  it("takes a name holding a slash as the name before reading it as PROJECT/NAME", () => {
    expect(pickStudy("resnet/lr", STUDIES, slugOf)).toBe("db2e3a22-9576-4d08-bbcf-572d96219999");
  });

  it("takes PROJECT/NAME where the name alone is in two projects", () => {
    expect(pickStudy("nlp/sweep", STUDIES, slugOf)).toBe("e5f6a7b8-9576-4d08-bbcf-572d96219999");
    expect(pickStudy("vision/sweep", STUDIES, slugOf)).toBe("a1b2c3d4-9576-4d08-bbcf-572d96219999");
  });

  it("refuses a name found in two projects and lists both as PROJECT/NAME (id)", () => {
    const e = errorOf(() => pickStudy("sweep", STUDIES, slugOf));
    expect(e.code).toBe("STUDY_AMBIGUOUS");
    expect(e.message).toBe(
      'a study named "sweep" is in 2 projects: vision/sweep (a1b2c3d4-9576-4d08-bbcf-572d96219999), ' +
        "nlp/sweep (e5f6a7b8-9576-4d08-bbcf-572d96219999); give it as PROJECT/NAME or by id",
    );
  });

  it("takes a unique id prefix of 4 or more characters, in either case", () => {
    expect(pickStudy("db2e", STUDIES, slugOf)).toBe("db2e3a22-9576-4d08-bbcf-572d96219999");
    expect(pickStudy("DB2E3A22-9576", STUDIES, slugOf)).toBe("db2e3a22-9576-4d08-bbcf-572d96219999");
  });

  it("refuses a prefix of several ids and lists them", () => {
    const e = errorOf(() => pickStudy("0324", STUDIES, slugOf));
    expect(e.code).toBe("STUDY_AMBIGUOUS");
    expect(e.message).toContain('2 studies have ids starting "0324": vision/branin (03248393-');
    expect(e.message).toContain("; give more of the id");
  });

  it("does not read 3 characters as a prefix, and names the team's studies when nothing matches", () => {
    const e = errorOf(() => pickStudy("db2", STUDIES, slugOf));
    expect(e.code).toBe("STUDY_NOT_FOUND");
    expect(e.message).toBe('no study "db2" (by name, PROJECT/NAME or id); studies: branin, resnet/lr, sweep');
    expect(errorOf(() => pickStudy("x", [], slugOf)).message).toBe(
      'no study "x" (by name, PROJECT/NAME or id); there are no studies yet',
    );
  });
});

describe("splitTrialRef", () => {
  it("reads STUDY#N, the study part taken whole up to the last #", () => {
    expect(splitTrialRef("branin#12")).toEqual({ study: "branin", number: 12 });
    expect(splitTrialRef("vision/run#2#0")).toEqual({ study: "vision/run#2", number: 0 });
  });

  it("is null for anything else", () => {
    expect(splitTrialRef("branin")).toBeNull();
    expect(splitTrialRef("#3")).toBeNull();
    expect(splitTrialRef("branin#-1")).toBeNull();
    expect(splitTrialRef("branin#1.5")).toBeNull();
  });
});

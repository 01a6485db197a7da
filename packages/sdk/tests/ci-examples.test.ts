import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStudyYaml } from "../src/index.js";

// examples/ci: the files a team copies. The commands they run are tested against a real
// server by packages/python/tests/test_ci_example.py; here, that the files parse and wire
// those commands in.

const dir = fileURLToPath(new URL("../../../examples/ci/", import.meta.url));
const read = (f: string) => readFileSync(dir + f, "utf8");

describe("examples/ci", () => {
  it("study.yaml is a valid study spec with the default sampler and a pruner", () => {
    const spec = parseStudyYaml(read("study.yaml"), "examples/ci/study.yaml");
    expect(spec.sampler.name).toBe("auto");
    expect(spec.pruner.name).toBe("asha");
  });

  it("the GitHub Actions workflow runs the study on pushes to main and keeps best.json", () => {
    const wf = parse(read("github-actions.yml")) as {
      on: { push: { branches: string[] } };
      jobs: {
        tune: { env: Record<string, string>; steps: Array<{ run?: string; uses?: string; env?: Record<string, string> }> };
      };
    };
    expect(wf.on.push.branches).toEqual(["main"]);
    const job = wf.jobs.tune;
    expect(job.env.AUTOGLM_TOKEN).toBe("${{ secrets.AUTOGLM_TOKEN }}");
    const step = job.steps.find((s) => s.run === "bash examples/ci/run-study.sh");
    expect(step?.env?.FAIL_IF).toBe("best > 0.5");
    expect(job.steps.some((s) => s.run?.includes("pnpm link --global"))).toBe(true);
    expect(job.steps.some((s) => s.uses === "actions/upload-artifact@v4")).toBe(true);
  });

  it("the GitLab CI job runs the same step and keeps best.json and the summary", () => {
    const ci = parse(read("gitlab-ci.yml")) as {
      tune: { script: string[]; variables: Record<string, string>; artifacts: { paths: string[] } };
    };
    expect(ci.tune.script).toEqual(["bash examples/ci/run-study.sh"]);
    expect(ci.tune.variables.FAIL_IF).toBe("best > 0.5");
    expect(ci.tune.artifacts.paths).toEqual(["best.json", "study-summary.md"]);
  });
});

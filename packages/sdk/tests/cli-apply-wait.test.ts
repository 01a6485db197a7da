import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

// Config as code: `study apply` creates or resumes by name, `study wait` follows a study to
// its end and turns the outcome (and --fail-if) into the exit code, against the real router.

const SPEC = `name: ci-sweep
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 10}
  act: {type: categorical, choices: [relu, gelu]}
sampler: {name: random, seed: 3}
budget: {max_trials: 3, max_parallel: 3}
`;

let srv: TestServer;
let dir: string;
let env: Record<string, string>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  srv = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "autoglm-apply-"));
  env = { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token };
});
afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function specFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Evaluates every trial the study hands out, x² each, until it stops handing them out. */
async function runTrials(studyId: string): Promise<void> {
  for (;;) {
    let t;
    try {
      t = await srv.client.trials.ask(studyId);
    } catch {
      return;
    }
    await srv.client.trials.tell(t.trialId, Number(t.params.x) ** 2);
  }
}

describe("autoglm study apply", () => {
  it("creates the study, then resumes it by name; a changed space is refused with the difference", async () => {
    const file = await specFile("sweep.yaml", SPEC);
    const created = await cli(["study", "apply", "-f", file, "--project", srv.projectSlug], env);
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(UUID);
    expect(created.stderr).toBe(`created study "ci-sweep" (${id})\n`);

    const resumed = await cli(["study", "apply", "-f", file, "--project", srv.projectSlug], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim()).toBe(id);
    expect(resumed.stderr).toBe(`resumed study "ci-sweep" (${id}), running\n`);

    const bigger = await specFile("bigger.yaml", SPEC.replace("max_trials: 3", "max_trials: 9"));
    const noted = await cli(["study", "apply", "-f", bigger, "--project", srv.projectSlug], env);
    expect(noted.code).toBe(0);
    expect(noted.stderr).toContain("autoglm: not applied (the stored spec is kept): budget.max_trials: 3 → 9\n");

    const changed = await specFile("changed.yaml", SPEC.replace("high: 10", "high: 20"));
    const refused = await cli(["study", "apply", "-f", changed, "--project", srv.projectSlug], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(
      `autoglm: error: Study "ci-sweep" (${id}) exists with a different space or objective: space.x.high: 10 → 20.`,
    );
    expect((await srv.client.studies.list()).filter((s) => s.name === "ci-sweep")).toHaveLength(1);
  });

  it("--name names the study (one per commit); --json says whether it was created", async () => {
    const file = await specFile("named.yaml", SPEC);
    const r = await cli(["study", "apply", "-f", file, "--project", srv.projectId, "--name", "ci-sweep-abc123", "--json"], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; name: string; created: boolean; notApplied: string[] };
    expect(out).toMatchObject({ name: "ci-sweep-abc123", created: true, state: "running", notApplied: [] });
    expect((await srv.client.studies.get(out.id)).name).toBe("ci-sweep-abc123");
  });

  it("a spec error is named before anything is sent (exit 1, nothing created)", async () => {
    const before = (await srv.client.studies.list()).length;
    const bad = await specFile("bad.yaml", SPEC.replace("low: -5", "low: 50"));
    const r = await cli(["study", "apply", "-f", bad, "--project", srv.projectSlug], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("space.x.low: must not be greater than high");
    expect((await srv.client.studies.list()).length).toBe(before);
  });
});

describe("autoglm study wait", () => {
  it("follows the study with a progress line and exits 0 when it completes", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, yaml: SPEC.replace("ci-sweep", "wait-ok") });
    const waiting = cli(["study", "wait", id, "--interval", "0.2s", "--timeout", "60s"], env);
    await runTrials(id);
    const r = await waiting;
    expect(r.code).toBe(0);
    const best = (await srv.client.studies.best(id))!;
    expect(r.stdout).toMatch(new RegExp(`^the study completed; best [0-9.e-]+ \\(#${best.number}\\)\\n$`));
    // The last progress line: every trial done, the best, no ETA once it ended.
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^wait-ok: 3\/3 trials done, 0 running, best [0-9.e-]+ \(#\d\), ETA -$/);
  });

  it("--fail-if turns a regression into exit 1; the other way round it passes", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, yaml: SPEC.replace("ci-sweep", "wait-fail-if") });
    await runTrials(id);
    const best = (await srv.client.studies.best(id))!.value;
    const failing = await cli(["study", "wait", id, "--fail-if", `best > ${best - 1}`, "--interval", "0.2s"], env);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain(`failed: best > ${best - 1} holds (best is`);
    const passing = await cli(["study", "wait", id, "--fail-if", `best>${best + 1}`, "--json"], env);
    expect(passing.code).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({
      id,
      state: "completed",
      ok: true,
      failIf: { condition: `best > ${best + 1}`, holds: false },
    });
  });

  it("exits 1 when the study is stopped, and when the timeout passes first", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, yaml: SPEC.replace("ci-sweep", "wait-timeout") });
    const timedOut = await cli(["study", "wait", id, "--timeout", "1s", "--interval", "0.2s"], env);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toBe("timed out after 1s: the study is still running with 0 of 3 trials done\n");
    await srv.client.studies.stop(id);
    const stopped = await cli(["study", "wait", id], env);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toBe("the study ended stopped, not completed\n");
  });

  it("a malformed --fail-if or --timeout is a usage error (exit 2)", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const badIf = await cli(["study", "wait", id, "--fail-if", "loss > 1"], env);
    expect(badIf.code).toBe(2);
    expect(badIf.stderr).toContain('is not a condition like "best > 0.1"');
    const badTimeout = await cli(["study", "wait", id, "--timeout", "soon"], env);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('"soon" is not a duration for --timeout');
  });
});

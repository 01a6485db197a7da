/**
 * Studies and trials named the way people type them: `autoglm study show NAME`, an id prefix,
 * PROJECT/NAME, and `STUDY#N` for a trial, against the real router (HTTP on 127.0.0.1, a fresh
 * database); the CLI runs as a child process.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const spec = (name: string) => `name: ${name}
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 3}
budget: {max_trials: 10, max_parallel: 2}
`;

let srv: TestServer;
let dir: string;
let env: Record<string, string>;
let older: string;
let newer: string;
let sweepHere: string;
let sweepThere: string;
let otherSlug: string;

beforeAll(async () => {
  srv = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "autoglm-cli-refs-"));
  env = { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token, AUTOGLM_CONFIG: join(dir, "config.json") };
  const other = await srv.client.projects.create({ name: "Other Project" });
  otherSlug = other.slug;
  ({ id: older } = await srv.client.studies.create({ projectId: srv.projectId, yaml: spec("lr-sweep") }));
  ({ id: newer } = await srv.client.studies.create({ projectId: srv.projectId, yaml: spec("lr-sweep") }));
  ({ id: sweepHere } = await srv.client.studies.create({ projectId: srv.projectId, yaml: spec("shared") }));
  ({ id: sweepThere } = await srv.client.studies.create({ projectId: other.id, yaml: spec("shared") }));
});
afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a study given by name, PROJECT/NAME or id prefix", () => {
  it("study show NAME shows the newest study of that name", async () => {
    const r = await cli(["study", "show", "lr-sweep"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`lr-sweep (${newer})`);
    expect(older).not.toBe(newer);
  });

  it("study show takes a unique id prefix", async () => {
    const r = await cli(["study", "show", older.slice(0, 8), "--json"], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).id).toBe(older);
  });

  it("a name in two projects is refused with both listed; PROJECT/NAME picks one", async () => {
    const r = await cli(["study", "best", "shared"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('a study named "shared" is in 2 projects:');
    expect(r.stderr).toContain(`${srv.projectSlug}/shared (${sweepHere})`);
    expect(r.stderr).toContain(`${otherSlug}/shared (${sweepThere})`);
    const picked = await cli(["study", "show", `${otherSlug}/shared`, "--json"], env);
    expect(picked.code).toBe(0);
    expect(JSON.parse(picked.stdout).id).toBe(sweepThere);
  });

  it("an unknown name says so and names the team's studies, changing nothing", async () => {
    const r = await cli(["study", "stop", "no-such-study"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no study "no-such-study" \(by name, PROJECT\/NAME or id\); studies: .*lr-sweep/);
    const states = await srv.client.studies.list();
    expect(states.every((s) => s.state === "running")).toBe(true);
  });
});

describe("study list --filter", () => {
  it("keeps the studies whose name holds every word, in any order and case", async () => {
    const r = await cli(["study", "list", "--filter", "SWEEP lr", "--json"], env);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id).sort()).toEqual([older, newer].sort());
    const none = await cli(["study", "list", "--filter", "lr shared"], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('no study matches "lr shared"\n');
  });
});

describe("a trial given as STUDY#N", () => {
  it("ask by study name, then tell and get the trial by STUDY#N", async () => {
    const asked = await cli(["trial", "ask", "lr-sweep", "--json"], env);
    expect(asked.code).toBe(0);
    const { trialId, number } = JSON.parse(asked.stdout) as { trialId: string; number: number };
    expect(number).toBe(0);
    const told = await cli(["trial", "tell", "lr-sweep#0", "--value", "0.25"], env);
    expect(told.stderr).toBe("");
    expect(told.code).toBe(0);
    expect(told.stdout).toBe(`trial ${trialId} complete (value 0.25)\n`);
    const got = await cli(["trial", "get", "lr-sweep#0", "--json"], env);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: trialId, studyId: newer, state: "complete", value: 0.25 });
    // The same number in the older study of that name is not this trial.
    const olderTrial = await cli(["trial", "get", `${older}#0`], env);
    expect(olderTrial.code).toBe(1);
    expect(olderTrial.stderr).toContain(`study "${older}" has no trial #0`);
  });

  it("a missing number or a malformed reference is a clear error", async () => {
    const missing = await cli(["trial", "get", "lr-sweep#7"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('study "lr-sweep" has no trial #7');
    const malformed = await cli(["trial", "stop", "lr-sweep"], env);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('"lr-sweep" is not a trial id or STUDY#NUMBER (e.g. my-study#12)');
  });
});

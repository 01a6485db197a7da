/**
 * `autoglm study export` against the whole platform (the built server as a child process): a
 * study's trials, made with ask/tell, written to a file as CSV that parses back one row per trial,
 * and as JSON on standard output; an unknown study exits 1 and leaves no file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startLivePlatform, type LivePlatform } from "./helpers/platform.js";

const N = 40;
let p: LivePlatform;
let env: Record<string, string>;
let out: string;
let studyId: string;
const told: Array<{ number: number; value: number; params: Record<string, unknown> }> = [];

beforeAll(async () => {
  p = await startLivePlatform();
  out = await mkdtemp(join(tmpdir(), "autoglm-export-out-"));
  env = { AUTOGLM_SERVER: p.url, AUTOGLM_TOKEN: p.token, AUTOGLM_CONFIG: join(out, "config.json") };
  studyId = (
    await p.client.studies.create({
      projectId: p.projectId,
      yaml: `name: exported
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
  act: {type: categorical, choices: [relu, tanh]}
sampler: {name: random, seed: 3}
budget: {max_trials: ${N}, max_parallel: 1}
`,
    })
  ).id;
  for (let i = 0; i < N; i++) {
    const t = await p.client.trials.ask(studyId);
    const value = ((t.params.x as number) - 0.3) ** 2;
    await p.client.trials.tell(t.trialId, value);
    told.push({ number: t.number, value, params: t.params });
  }
}, 180_000);

afterAll(async () => {
  await p?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe("autoglm study export", () => {
  it("writes every trial to a CSV file that parses back, and says so on stderr", async () => {
    const file = join(out, "trials.csv");
    const r = await cli(["study", "export", studyId, "--format", "csv", "-o", file], env);
    expect(r.stderr).toContain(`exported ${N} trials`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const rows = parse(await readFile(file, "utf8"), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(N);
    const t = told[7]!;
    expect(rows[7]).toMatchObject({
      number: String(t.number),
      state: "complete",
      params_act: t.params.act,
      params_x: String(t.params.x),
    });
    expect(Number(rows[7]!.value)).toBe(t.value);
    expect(existsSync(`${file}.part`)).toBe(false);
  }, 60_000);

  it("prints JSON on standard output; an unknown study exits 1 and writes no file", async () => {
    const r = await cli(["study", "export", studyId, "--format", "json"], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { study: { id: string }; trials: Array<{ number: number; value: number }> };
    expect(doc.study.id).toBe(studyId);
    expect(doc.trials.map((t) => [t.number, t.value])).toEqual(told.map((t) => [t.number, t.value]));

    const missing = join(out, "missing.csv");
    const bad = await cli(["study", "export", "00000000-0000-4000-8000-000000000000", "-o", missing], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("was not exported");
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(`${missing}.part`)).toBe(false);
  }, 60_000);
});

import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SPEC = `name: cli-quadratic
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 10}
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  act: {type: categorical, choices: [relu, gelu, tanh]}
sampler: {name: random, seed: 7}
budget: {max_trials: 50, max_parallel: 4}
`;

let srv: TestServer;
let dir: string;
let env: Record<string, string>;
let specFile: string;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  srv = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), "autoglm-cli-"));
  env = { AUTOGLM_CONFIG: join(dir, "config.json") };
  specFile = join(dir, "study.yaml");
  await writeFile(specFile, SPEC);
});
afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function studyCount(): Promise<number> {
  return (await srv.client.studies.list()).length;
}

describe("autoglm CLI against the real router", () => {
  it("login verifies the token, stores {server, token} with mode 0600 and never prints the token", async () => {
    const r = await cli(["login", "--server", srv.url, "--token", srv.token], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`logged in to ${srv.url} as sdk-tests@example.com (team SDK Team)`);
    expect(r.stdout + r.stderr).not.toContain(srv.token);
    const st = await stat(env.AUTOGLM_CONFIG!);
    expect(st.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(env.AUTOGLM_CONFIG!, "utf8"))).toEqual({ server: srv.url, token: srv.token });
  });

  it("login --token-stdin keeps the token out of the command line", async () => {
    const other = { AUTOGLM_CONFIG: join(dir, "stdin.json") };
    const r = await cli(["login", "--server", `${srv.url}/api/trpc`, "--token-stdin"], other, `${srv.token}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(srv.token);
    // The server URL is stored normalised, the token without its newline.
    expect(JSON.parse(await readFile(other.AUTOGLM_CONFIG, "utf8"))).toEqual({ server: srv.url, token: srv.token });
  });

  it("login with a bad token says 'token rejected', exits 1 and stores nothing", async () => {
    const other = { AUTOGLM_CONFIG: join(dir, "other.json") };
    const bad = `${srv.token.slice(0, -1)}${srv.token.endsWith("A") ? "B" : "A"}`;
    const r = await cli(["login", "--server", srv.url, "--token", bad], other);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^autoglm: error: token rejected by /);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain(bad);
    await expect(stat(other.AUTOGLM_CONFIG)).rejects.toThrow(/ENOENT/);
  });

  it("a bad token on any command: 'token rejected', exit 1, one line", async () => {
    const r = await cli(["study", "list", "--token", "agl_notarealtoken000000000000000000000000"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^autoglm: error: token rejected by .* \(from --token\)/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("agl_notarealtoken");
    // env beats the stored config, and is named as the culprit
    const e = await cli(["study", "list"], { ...env, AUTOGLM_TOKEN: "agl_notarealtoken000000000000000000000000" });
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("(from AUTOGLM_TOKEN)");
  });

  let studyId = "";
  it("study create -f prints the study id (project by slug or id)", async () => {
    const r = await cli(["study", "create", "-f", specFile, "--project", srv.projectSlug], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    studyId = r.stdout.trim();
    expect(studyId).toMatch(UUID);
    const byId = await cli(
      ["study", "create", "-f", "-", "--project", srv.projectId, "--json"],
      env,
      SPEC.replace("cli-quadratic", "from-stdin"),
    );
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toEqual({ id: expect.stringMatching(UUID) });
    const list = await srv.client.studies.list();
    expect(list.map((s) => s.name).sort()).toEqual(["cli-quadratic", "from-stdin"]);
  });

  it("an invalid spec prints the field's error, exits 1 and creates nothing", async () => {
    const before = await studyCount();
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, SPEC.replace("low: 1.0e-5", "low: 0"));
    const r = await cli(["study", "create", "-f", bad, "--project", srv.projectSlug], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("autoglm: error: space.lr.low: must be > 0 when log is true [INVALID_SPEC]");
    expect(r.stdout).toBe("");
    expect(await studyCount()).toBe(before);
  });

  it("an unknown project is named, exit 1", async () => {
    const r = await cli(["study", "create", "-f", specFile, "--project", "no-such-project"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no project "no-such-project" in this team`);
  });

  const told: { trialId: string; value: number }[] = [];
  it("runs ask → report ×3 → tell for 5 trials", async () => {
    for (let i = 0; i < 5; i++) {
      const ask = await cli(["trial", "ask", studyId, "--json"], env);
      expect(ask.stderr).toBe("");
      expect(ask.code).toBe(0);
      const t = JSON.parse(ask.stdout) as {
        trialId: string;
        number: number;
        params: Record<string, unknown>;
        leaseExpiresAt: string;
      };
      expect(Object.keys(t).sort()).toEqual(["leaseExpiresAt", "number", "params", "trialId"]);
      expect(t.trialId).toMatch(UUID);
      expect(Date.parse(t.leaseExpiresAt)).toBeGreaterThan(Date.now());
      const x = t.params.x as number;
      expect(x).toBeGreaterThanOrEqual(-5);
      expect(x).toBeLessThanOrEqual(10);
      expect(["relu", "gelu", "tanh"]).toContain(t.params.act);
      const value = (x - 2) ** 2;
      for (let step = 0; step < 3; step++) {
        const rep = await cli(["trial", "report", t.trialId, "--step", String(step), "--value", String(value + 3 - step)], env);
        expect(rep.code).toBe(0);
        expect(["continue", "prune"]).toContain(rep.stdout.trim());
      }
      const tell = await cli(["trial", "tell", t.trialId, "--value", String(value)], env);
      expect(tell.stderr).toBe("");
      expect(tell.code).toBe(0);
      told.push({ trialId: t.trialId, value });
    }
    const study = await srv.client.studies.get(studyId);
    expect(study.counts.complete).toBe(5);
    expect(study.counts.running).toBe(0);
    const trial = await srv.client.trials.get(told[0]!.trialId);
    expect(trial.intermediate.map((p: { step: number }) => p.step)).toEqual([0, 1, 2]);
  });

  it("trial report --json prints {prune}", async () => {
    const ask = await cli(["trial", "ask", studyId, "--json"], env);
    const { trialId } = JSON.parse(ask.stdout) as { trialId: string };
    const rep = await cli(["trial", "report", trialId, "--step", "0", "--value", "-1.5e-3", "--json"], env);
    expect(rep.code).toBe(0);
    expect(JSON.parse(rep.stdout)).toEqual({ prune: false });
    const failed = await cli(["trial", "tell", trialId, "--failed", "CUDA out of memory"], env);
    expect(failed.code).toBe(0);
    const t = await srv.client.trials.get(trialId);
    expect(t.state).toBe("failed");
    expect(String(t.endReason ?? "")).toContain("CUDA out of memory");
  });

  it("study best --json returns the best told trial", async () => {
    const r = await cli(["study", "best", studyId, "--json"], env);
    expect(r.code).toBe(0);
    const best = JSON.parse(r.stdout) as { trialId: string; number: number; value: number; params: Record<string, unknown> };
    const min = told.reduce((a, b) => (b.value < a.value ? b : a));
    expect(best.trialId).toBe(min.trialId);
    expect(best.value).toBeCloseTo(min.value, 12);
    const human = await cli(["study", "best", studyId], env);
    expect(human.stdout).toContain(`(${min.trialId})`);
  });

  it("study list prints a table, and --json the rows", async () => {
    const r = await cli(["study", "list"], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATE\s+TRIALS\s+BEST/);
    const row = lines.find((l) => l.startsWith(studyId));
    expect(row).toMatch(/cli-quadratic\s+running\s+5\/6/);
    const j = await cli(["study", "list", "--json", "--project", srv.projectSlug], env);
    const rows = JSON.parse(j.stdout) as { id: string; completeCount: number }[];
    expect(rows.find((s) => s.id === studyId)?.completeCount).toBe(5);
  });

  it("a missing study answers NOT_FOUND in one line", async () => {
    const r = await cli(["study", "best", "00000000-0000-4000-8000-000000000000", "--json"], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^autoglm: error: .*not found/i);
  });

  it("study stop ends the study; a later ask fails readably", async () => {
    const stop = await cli(["study", "stop", studyId], env);
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe(`stopped ${studyId}`);
    const ask = await cli(["trial", "ask", studyId], env);
    expect(ask.code).toBe(1);
    expect(ask.stderr).toMatch(/^autoglm: error: /);
    expect(ask.stderr.trim().split("\n")).toHaveLength(1);
  });
});

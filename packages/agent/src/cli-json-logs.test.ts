import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  studyCounts,
  waitFor,
  type RunLoopServer,
} from "./testing/harness.js";

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/cli.js");

let srv: RunLoopServer;
let dir: string;

beforeAll(async () => {
  srv = await startRunLoopServer();
  dir = openTempDir("autoglm-cli-logs-");
}, 60_000);

afterAll(async () => {
  await srv?.close();
  if (dir) cleanup(dir);
});

describe("autoglm-agent with LOG_FORMAT=json", () => {
  it("prints JSON lines only, each after registration with the agent id and trial lines with the trial id", async () => {
    const team = await makeTeam(srv, "json-logs");
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1 },
      run: { command: `/usr/bin/python3 -c "print('{\\"autoglm\\": 1, \\"final\\": {\\"loss\\": 0.5}}')"` },
    });
    const child = spawn(
      process.execPath,
      [CLI, "start", "--server", srv.url, "--name", "json-agent", "--no-gpus", "--work-dir", path.join(dir, "work")],
      {
        cwd: dir,
        env: { ...process.env, AUTOGLM_TOKEN: team.token, LOG_FORMAT: "json", LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await waitFor(async () => (await studyCounts(srv.db, studyId)).complete === 1, 30_000, `the trial to complete:\n${out}`);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }

    const lines = out
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const [agent] = await srv.db.query<{ id: string }>("SELECT id FROM agents WHERE name = 'json-agent'");
    const registered = lines.find((l) => l.msg === "registered");
    expect(registered).toMatchObject({ name: "agent", level: 30, agentId: agent!.id, maxTrials: 1 });
    const [trial] = await srv.db.query<{ id: string }>("SELECT id FROM trials WHERE study_id = $1", [studyId]);
    expect(lines.find((l) => l.msg === "trial started")).toMatchObject({ agentId: agent!.id, trialId: trial!.id });
    // Every line from registration on carries the agent id, the shutdown's included.
    const after = lines.slice(lines.indexOf(registered!));
    expect(after.map((l) => l.msg)).toContain("SIGTERM: handing running trials back");
    expect(after.filter((l) => l.agentId !== agent!.id)).toEqual([]);
    expect(out).not.toContain(team.token);
  }, 60_000);

  it("refuses an unknown LOG_FORMAT or LOG_LEVEL with exit 2, naming the variable and the choices", () => {
    for (const [name, value, choices] of [
      ["LOG_FORMAT", "xml", "json, pretty"],
      ["LOG_LEVEL", "loud", "trace, debug, info, warn, error, fatal, silent"],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, "start", "--server", srv.url, "--token", "agl_unused"], {
        env: { ...process.env, [name]: value },
        encoding: "utf8",
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`autoglm agent: ${name} must be one of ${choices} (got "${value}")\n`);
    }
  });
});

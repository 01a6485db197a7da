import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@autoglm/protocol";
import { startAgent, type RunningAgent } from "./agent.js";
import {
  cleanup,
  makeTeam,
  openTempDir,
  seedRunStudy,
  startRunLoopServer,
  startTestAgent,
  waitFor,
  writeScript,
  type RunLoopServer,
} from "./testing/harness.js";
import { AccessChecker, commandNeeds, describeNoAccess, leadingWords } from "./trial-access.js";
import { NOBODY } from "./trial-user.js";

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

function tempDir(prefix: string): string {
  const d = openTempDir(prefix);
  dirs.push(d);
  return d;
}

describe("what a command runs", () => {
  it("reads the first simple command's words as sh does, and marks words it cannot know", () => {
    expect(leadingWords(`python3 'my dir/train.py' --lr "0.1" && echo done`)).toEqual([
      "python3",
      "my dir/train.py",
      "--lr",
      "0.1",
    ]);
    expect(leadingWords(`FOO=1 ./run\\ me.sh; rm -rf x`)).toEqual(["FOO=1", "./run me.sh"]);
    expect(leadingWords(`$HOME/train.sh "$X" ~/a`)).toEqual([null, null, null]);
    expect(leadingWords(`  # a comment`)).toEqual([]);
  });

  it("lists the program named by a path and the script an interpreter runs, only when they exist", () => {
    const d = tempDir("autoglm-needs-");
    const script = writeScript(d, "train.py", "print(1)\n");
    const sh = writeScript(d, "run.sh", "#!/bin/sh\necho hi\n");
    // Python opens its script by its absolute path; sh and bash by the path as written.
    expect(commandNeeds(`python3 train.py --lr 0.1`, d)).toEqual([
      { path: script, probe: script, mode: "r", what: "the command's script" },
    ]);
    expect(commandNeeds(`CUDA=1 env -i nohup ./run.sh {x}`, d)).toEqual([
      { path: sh, probe: "./run.sh", mode: "rx", what: "the command" },
    ]);
    expect(commandNeeds(`bash -x run.sh`, d)).toEqual([{ path: sh, probe: "run.sh", mode: "r", what: "the command's script" }]);
    // A binary needs only to be executable.
    expect(commandNeeds(`${process.execPath} -e "1"`, d)).toEqual([
      { path: process.execPath, probe: process.execPath, mode: "x", what: "the command" },
    ]);
    expect(commandNeeds(`node -e "require('x')" train.py`, d)).toEqual([]);
    expect(commandNeeds(`python3 -m train`, d)).toEqual([]);
    expect(commandNeeds(`python3 missing.py`, d)).toEqual([]);
    expect(commandNeeds(`cd sub && python3 train.py`, d)).toEqual([]);
    expect(commandNeeds(`$TRAIN`, d)).toEqual([]);
  });

  it("names at most four paths in a message that fits a trial's reason", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      path: `/x/${"y".repeat(500)}/${i}`,
      mode: "r" as const,
      what: "the builtin trainers' runtime",
    }));
    const msg = describeNoAccess(NOBODY, many);
    expect(msg.length).toBeLessThan(2_000);
    expect(msg).toContain("and 8 more");
    expect(msg).toContain("--run-as USER");
  });
});

if (!isRoot)
  console.log("skipped: the trial-user access checks need root (trials run as nobody under a root agent; CI runs as root)");

describe.skipIf(!isRoot)("an agent running as root in a private directory", () => {
  let srv: RunLoopServer;
  let priv: string;
  let open: string;
  const agents: RunningAgent[] = [];

  beforeAll(async () => {
    srv = await startRunLoopServer();
    // mkdtemp makes 0700 directories: nobody cannot enter this one, as in a CI clone.
    priv = mkdtempSync(path.join(tmpdir(), "autoglm-private-"));
    dirs.push(priv);
    open = tempDir("autoglm-open-");
  }, 60_000);
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await srv?.close();
  });

  it("checks as the trial user, not as root", () => {
    const secret = path.join(priv, "secret.txt");
    writeFileSync(secret, "x");
    const nobody = new AccessChecker(NOBODY);
    expect(nobody.unreachable([{ path: secret, mode: "r", what: "a file" }], "/").map((n) => n.path)).toEqual([secret]);
    expect(
      nobody.unreachable(
        [
          { path: open, mode: "x", what: "a dir" },
          { path: "/bin/sh", mode: "x", what: "sh" },
        ],
        "/",
      ),
    ).toEqual([]);
    // The working directory is entered as root (libuv changes directory before it drops to
    // the trial user), so only its own mode counts: tested as "." from inside it.
    const inner = path.join(priv, "inner");
    mkdirSync(inner, { mode: 0o755 });
    expect(nobody.unreachable([{ path: inner, probe: ".", mode: "x", what: "cwd" }], inner)).toEqual([]);
    expect(nobody.unreachable([{ path: inner, mode: "x", what: "cwd" }], inner)).toHaveLength(1);
  });

  it("fails a trial whose script nobody cannot read with AGENT_TRIAL_USER_NO_ACCESS, naming the path and the fix, after max_attempts", async () => {
    const team = await makeTeam(srv, "private-script");
    const script = writeScript(priv, "train.py", `print('{"autoglm": 1, "final": {"loss": 1.0}}')\n`);
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1, max_attempts: 2 },
      run: { command: `python3 ${script} --x {x}` },
    });
    const a = await startTestAgent(srv, team, { name: "private-agent", workDir: path.join(open, "work"), cwd: open });
    agents.push(a);
    const [trial] = await waitFor(
      async () => {
        const rows = await srv.db.query<{ id: string; state: string; end_code: string; end_reason: string }>(
          `SELECT id, state, end_code, end_reason FROM trials WHERE study_id = $1 AND state = 'failed'`,
          [studyId],
        );
        return rows.length > 0 ? rows : null;
      },
      20_000,
      "the trial failed",
    );
    expect(trial!.end_code).toBe("AGENT_TRIAL_USER_NO_ACCESS");
    expect(trial!.end_reason).toContain(`cannot read ${script} (the command's script)`);
    expect(trial!.end_reason).toContain("nobody (uid 65534");
    expect(trial!.end_reason).toContain("--run-as USER");
    expect(trial!.end_reason).toContain("non-root user");
    const attempts = await srv.db.query<{ end_code: string }>(
      `SELECT end_code FROM trial_attempts WHERE trial_id = $1 ORDER BY attempt`,
      [trial!.id],
    );
    expect(attempts.map((r) => r.end_code)).toEqual(["AGENT_TRIAL_USER_NO_ACCESS", "AGENT_TRIAL_USER_NO_ACCESS"]);

    // The agent is not poisoned: a script nobody can read runs at once.
    const ok = writeScript(open, "train.py", `print('{"autoglm": 1, "final": {"loss": 1.0}}')\n`);
    const okStudy = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1 },
      run: { command: `python3 ${ok}` },
    });
    await waitFor(
      async () => {
        const [r] = await srv.db.query<{ state: string }>(`SELECT state FROM trials WHERE study_id = $1`, [okStudy]);
        return r?.state === "complete";
      },
      20_000,
      "the readable script's trial completed",
    );
  });

  it("warns once at start naming the work dir and working directory nobody cannot reach", async () => {
    const team = await makeTeam(srv, "private-workdir");
    const warnings: string[] = [];
    const a = await startAgent({
      server: srv.url,
      token: team.token,
      name: "private-workdir-agent",
      gpus: [],
      workDir: path.join(priv, "work"),
      cwd: priv,
      logger: { ...silentLogger, warn: (m) => warnings.push(m) },
    });
    agents.push(a);
    await a.registered;
    const about = warnings.filter((w) => w.includes("cannot"));
    expect(about).toHaveLength(1);
    expect(about[0]).toContain(`reach ${path.join(priv, "work", "trials")} (the agent's work dir`);
    expect(about[0]).toContain(`reach ${priv} (the trial's working directory`);
    expect(about[0]).toContain("--run-as USER");
    expect(about[0]).toContain("AGENT_TRIAL_USER_NO_ACCESS");
  });

  it("--run-as self (runAs: null) runs the same private script as the agent's own user", async () => {
    const team = await makeTeam(srv, "private-self");
    const script = writeScript(priv, "self.py", `import os\nprint('{"autoglm": 1, "final": {"loss": %d}}' % os.getuid())\n`);
    const studyId = await seedRunStudy(srv.db, team, {
      budget: { max_trials: 1, max_parallel: 1 },
      run: { command: `python3 ${script}` },
    });
    const a = await startTestAgent(srv, team, {
      name: "self-agent",
      workDir: path.join(priv, "work-self"),
      cwd: priv,
      runAs: null,
    });
    agents.push(a);
    const [r] = await waitFor(
      async () => {
        const rows = await srv.db.query<{ state: string; value: unknown }>(
          `SELECT state, value FROM trials WHERE study_id = $1 AND state <> 'running' AND state <> 'waiting'`,
          [studyId],
        );
        return rows.length > 0 ? rows : null;
      },
      20_000,
      "the trial ended",
    );
    expect(r!.state).toBe("complete");
    expect(Number(r!.value)).toBe(0);
  });
});

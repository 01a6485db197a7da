/**
 * What a real agent keeps of an attempt however it ends, through the real server: a command's
 * source line reaches the model version registered from its trial (a malformed one is logged
 * and ignored), and the output files of a failed, a pruned and a user-stopped attempt are
 * listed on their trial like a completed one's.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

const PASSWORD = "correct horse battery";
const SHA = "3f2a9c0d1e4b5a6978877665544332211ffeeddc";
let db: TestDb;
let server: RunningServer;
let dataDir: string;
let dir: string;
let agent: RunningAgent | undefined;
let browser: Browser;
let orgId: string;
let projectId: string;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-attempt-end-test-"));
  // Trials run as nobody when the tests run as root: a directory anyone may enter.
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-attempt-end-trials-"));
  chmodSync(dir, 0o777);
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
  browser = new Browser(server.url);
  const email = `attempt-end-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: "attempt-end" });
  expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
  orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  projectId = (await browser.call<{ id: string }>("project.create", { name: "Ends" }, { org: orgId })).id;
  const token = (await browser.call<{ token: string }>("token.create", { name: "agent", scopes: ["agent"] }, { org: orgId }))
    .token;
  agent = await startAgent({
    server: server.url,
    token,
    gpus: [],
    workDir: path.join(dir, "work"),
    cwd: dir,
    maxTrials: 1,
    killGraceMs: 5_000,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  await agent.registered;
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

/** A one-trial study running `command` (one attempt: a failure is final). */
async function runStudy(name: string, command: string, extra = ""): Promise<string> {
  const yaml = `name: ${name}
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1, max_attempts: 1}
run:
  command: ${command}
${extra}`;
  return (await browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: orgId })).id;
}

interface TTrialRow {
  id: string;
  state: string;
  end_code: string | null;
}

async function waitForTrial(studyId: string, states: string[]): Promise<TTrialRow> {
  let trial: TTrialRow | undefined;
  for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    [trial] = await db.query<TTrialRow>("select id, state, end_code from trials where study_id = $1", [studyId]);
    if (trial && states.includes(trial.state)) return trial;
  }
  throw new Error(`trial of ${studyId} never reached ${states.join("/")} (last: ${trial?.state})`);
}

/** The trial's files once its agent has reported the attempt's end (uploads go first). */
async function artifactsOf(trialId: string): Promise<Array<{ name: string; sizeBytes: number; sha256: string }>> {
  for (const deadline = Date.now() + 40_000; agent!.trials().some((t) => t.trialId === trialId);) {
    if (Date.now() > deadline) throw new Error(`the agent never reported the end of ${trialId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const listed = await browser.call<Array<{ name: string; sizeBytes: number; sha256: string }>>(
    "trial.artifacts",
    { trialId },
    { org: orgId, query: true },
  );
  return listed.map(({ name, sizeBytes, sha256 }) => ({ name, sizeBytes, sha256 }));
}

async function logTailOf(trialId: string): Promise<string> {
  const [row] = await db.query<{ log_tail: string | null }>("select log_tail from trial_attempts where trial_id = $1", [trialId]);
  return row?.log_tail ?? "";
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Writes `early.txt`, prints a source line, reports one step of `loss`, then waits to be stopped and writes `late.txt` on SIGTERM. */
const WAIT_TO_BE_STOPPED = `import json, os, signal, sys, time
out = os.environ["AUTOGLM_OUTPUT_DIR"]
def on_term(*_):
    open(os.path.join(out, "late.txt"), "w").write("late\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
open(os.path.join(out, "early.txt"), "w").write("early\\n")
print(json.dumps({"autoglm": 1, "source": {"git": "abcdef1"}}), flush=True)
print(json.dumps({"autoglm": 1, "step": 1, "metrics": {"loss": 100}}), flush=True)
for _ in range(300):
    time.sleep(0.1)
`;

describe("an attempt's end", () => {
  it("carries the command's source line to the model version registered from its trial", async () => {
    const writer = script(
      "with-source.py",
      `import json, os
out = os.environ["AUTOGLM_OUTPUT_DIR"]
open(os.path.join(out, "model.bin"), "w").write("weights")
print(json.dumps({"autoglm": 1, "source": {"git": "0000000", "repo": "https://example.com/old.git"}}))
print(json.dumps({"autoglm": 1, "source": {"git": "${SHA.toUpperCase()}", "repo": "https://example.com/team/model.git", "branch": "main", "dirty": False}}))
print(json.dumps({"autoglm": 1, "final": {"loss": 0.25}}))
`,
    );
    const trial = await waitForTrial(await runStudy("with-source", `/usr/bin/python3 ${writer}`), ["complete", "failed"]);
    expect(trial.state).toBe("complete");
    expect(await artifactsOf(trial.id)).toEqual([{ name: "model.bin", sizeBytes: 7, sha256: sha("weights") }]);
    const version = await browser.call<{ version: number; source: unknown }>(
      "model.register",
      { trialId: trial.id, name: "sourced" },
      { org: orgId },
    );
    // The last source line wins; the sha is stored lower-case.
    const printed = { git: SHA, repo: "https://example.com/team/model.git", branch: "main", dirty: false };
    expect(version).toMatchObject({ version: 1, source: printed });
    const shown = await browser.call<{ versions: Array<{ version: number; source: unknown }> }>(
      "model.get",
      { name: "sourced" },
      { org: orgId, query: true },
    );
    expect(shown.versions.map((v) => v.source)).toEqual([printed]);
  }, 60_000);

  it("logs a malformed source line and ignores it", async () => {
    const writer = script(
      "bad-source.py",
      `import json, os
out = os.environ["AUTOGLM_OUTPUT_DIR"]
open(os.path.join(out, "model.bin"), "w").write("weights")
print(json.dumps({"autoglm": 1, "source": {"git": "not-a-sha", "token": "x"}}))
print(json.dumps({"autoglm": 1, "final": {"loss": 0.5}}))
`,
    );
    const trial = await waitForTrial(await runStudy("bad-source", `/usr/bin/python3 ${writer}`), ["complete", "failed"]);
    expect(trial.state).toBe("complete");
    await artifactsOf(trial.id);
    expect(await logTailOf(trial.id)).toContain(
      "[agent] ignored a malformed metric line (source.git: must be a commit sha: 7 to 64 hex digits; " +
        "source: Unrecognized key(s) in object: 'token')",
    );
    const version = await browser.call<{ source: unknown }>(
      "model.register",
      { trialId: trial.id, name: "unsourced" },
      { org: orgId },
    );
    expect(version.source).toBeNull();
  }, 60_000);

  it("a failed attempt (exit 1) keeps the files it wrote", async () => {
    const writer = script(
      "fails.py",
      `import os, sys
out = os.environ["AUTOGLM_OUTPUT_DIR"]
open(os.path.join(out, "checkpoint.txt"), "w").write("half-trained")
sys.exit(1)
`,
    );
    const trial = await waitForTrial(await runStudy("fails", `/usr/bin/python3 ${writer}`), ["complete", "failed"]);
    expect(trial).toMatchObject({ state: "failed", end_code: "USER_COMMAND_EXIT_NONZERO" });
    expect(await artifactsOf(trial.id)).toEqual([{ name: "checkpoint.txt", sizeBytes: 12, sha256: sha("half-trained") }]);
  }, 60_000);

  it("a pruned attempt keeps the files it wrote, before and after the pruner stopped it", async () => {
    const waiter = script("pruned.py", WAIT_TO_BE_STOPPED);
    const study = await runStudy("pruned", `/usr/bin/python3 ${waiter}`, "pruner: {name: threshold, upper: 5}\n");
    const trial = await waitForTrial(study, ["complete", "pruned", "failed"]);
    expect(trial.state).toBe("pruned");
    expect(await artifactsOf(trial.id)).toEqual([
      { name: "early.txt", sizeBytes: 6, sha256: sha("early\n") },
      { name: "late.txt", sizeBytes: 5, sha256: sha("late\n") },
    ]);
    expect(await logTailOf(trial.id)).not.toContain("not uploaded");
    // The server ended the attempt first; the agent's completion still brings the source.
    const [attempt] = await db.query<{ source: unknown }>("select source from trial_attempts where trial_id = $1", [trial.id]);
    expect(attempt?.source).toEqual({ git: "abcdef1" });
  }, 60_000);

  it("a user-stopped attempt keeps the files it wrote", async () => {
    const waiter = script("stopped.py", WAIT_TO_BE_STOPPED);
    const study = await runStudy("stopped", `/usr/bin/python3 ${waiter}`);
    const running = await waitForTrial(study, ["running"]);
    const early = path.join(dir, "work", "trials", running.id, "attempt-1", "early.txt");
    for (const deadline = Date.now() + 20_000; !existsSync(early) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readFileSync(early, "utf8")).toBe("early\n");
    await browser.call("trial.stop", { trialId: running.id }, { org: orgId });
    const trial = await waitForTrial(study, ["failed"]);
    expect(trial.end_code).toBe("USER_STOPPED");
    expect((await artifactsOf(trial.id)).map((f) => f.name)).toEqual(["early.txt", "late.txt"]);
  }, 60_000);
});

/**
 * Trial artifacts end to end: a real agent runs a command trial and uploads its output dir
 * through the server into the real (local) store; the trial's files are listed and downloaded
 * by its team only; the upload route refuses a stale lease, a body over the cap and a wrong
 * SHA-256, storing nothing.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

const PASSWORD = "correct horse battery";
let db: TestDb;
let server: RunningServer;
let dataDir: string;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-artifacts-test-"));
  // Trials run as nobody when the tests run as root: a directory anyone may enter.
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-artifacts-trials-"));
  chmodSync(dir, 0o777);
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function signedIn(tag: string): Promise<{ browser: Browser; orgId: string }> {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: tag });
  expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
  const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  return { browser, orgId };
}

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

async function waitForTrial(
  studyId: string,
  states: string[],
): Promise<{ id: string; state: string; lease_token: string | null }> {
  let trial: { id: string; state: string; lease_token: string | null } | undefined;
  for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    [trial] = await db.query<{ id: string; state: string; lease_token: string | null }>(
      "select id, state, lease_token from trials where study_id = $1",
      [studyId],
    );
    if (trial && states.includes(trial.state)) return trial;
  }
  throw new Error(`trial of ${studyId} never reached ${states.join("/")} (last: ${trial?.state})`);
}

function put(trialId: string, name: string, token: string, leaseToken: string, body: Buffer, sha256?: string) {
  return fetch(`${server.url}/agent-api/v1/trials/${trialId}/attempts/1/artifacts/${name}`, {
    method: "PUT",
    headers: {
      authorization: `Bearer ${token}`,
      "x-autoglm-lease-token": leaseToken,
      "x-autoglm-sha256": sha256 ?? createHash("sha256").update(body).digest("hex"),
      "content-type": "application/octet-stream",
    },
    body,
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("trial artifacts", () => {
  let a: { browser: Browser; orgId: string };
  let projectId: string;
  let agentToken: string;

  it("the agent uploads the output dir's files (not a link out of it); the team lists and downloads them, no one else", async () => {
    a = await signedIn("artifacts-a");
    projectId = (await a.browser.call<{ id: string }>("project.create", { name: "Art" }, { org: a.orgId })).id;
    const writer = script(
      "write.py",
      `import json, os
out = os.environ["AUTOGLM_OUTPUT_DIR"]
open(os.path.join(out, "model.bin"), "wb").write(bytes(range(256)) * 64)
os.makedirs(os.path.join(out, "sub"))
open(os.path.join(out, "sub", "notes.txt"), "w").write("trained\\n")
os.symlink("/etc/hostname", os.path.join(out, "escape"))
print(json.dumps({"autoglm": 1, "final": {"loss": 0.5}}))
`,
    );
    const yaml = `name: artifacts
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  command: /usr/bin/python3 ${writer}
`;
    const study = await a.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: a.orgId });
    agentToken = (await a.browser.call<{ token: string }>("token.create", { name: "agent", scopes: ["agent"] }, { org: a.orgId }))
      .token;
    agent = await startAgent({
      server: server.url,
      token: agentToken,
      gpus: [],
      workDir: path.join(dir, "work"),
      cwd: dir,
      maxTrials: 1,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await agent.registered;
    const trial = await waitForTrial(study.id, ["complete", "failed"]);
    expect(trial.state).toBe("complete");

    const out = path.join(dir, "work", "trials", trial.id, "attempt-1");
    const model = readFileSync(path.join(out, "model.bin"));
    const listed = await a.browser.call<
      Array<{ name: string; sizeBytes: number; sha256: string; attempt: number; downloadUrl: string }>
    >("trial.artifacts", { trialId: trial.id }, { org: a.orgId, query: true });
    expect(listed.map(({ name, sizeBytes, sha256, attempt }) => ({ name, sizeBytes, sha256, attempt }))).toEqual([
      { name: "model.bin", sizeBytes: model.length, sha256: sha(model), attempt: 1 },
      { name: "sub/notes.txt", sizeBytes: 8, sha256: sha(Buffer.from("trained\n")), attempt: 1 },
    ]);
    const [attemptRow] = await db.query<{ log_tail: string }>("select log_tail from trial_attempts where trial_id = $1", [
      trial.id,
    ]);
    expect(attemptRow!.log_tail).toContain("artifact escape not uploaded: it is a symbolic link");

    const download = await a.browser.fetch(listed[0]!.downloadUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain('filename="model.bin"');
    expect(download.headers.get("x-autoglm-sha256")).toBe(sha(model));
    expect(Buffer.from(await download.arrayBuffer()).equals(model)).toBe(true);
    const read = (await a.browser.call<{ token: string }>("token.create", { name: "read", scopes: ["read"] }, { org: a.orgId }))
      .token;
    const byToken = await fetch(`${server.url}${listed[1]!.downloadUrl.replace(/\?.*$/, "")}`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(await byToken.text()).toBe("trained\n");

    // Another team's member: 404 whichever team the link names.
    const b = await signedIn("artifacts-b");
    expect((await b.browser.fetch(listed[0]!.downloadUrl)).status).toBe(404);
    expect((await b.browser.fetch(listed[0]!.downloadUrl.replace(a.orgId, b.orgId))).status).toBe(404);
    expect(
      (await b.browser.trpc("trial.artifacts", { trialId: trial.id }, { org: b.orgId, query: true })).body.result?.data,
    ).toEqual([]);

    // The attempt has ended: its lease token fences nothing more in.
    const late = await put(trial.id, "late.bin", agentToken, trial.lease_token!, Buffer.from("late"));
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("STALE_LEASE");
    const stored = await server.artifacts.list("");
    expect(stored.map((o) => o.key.slice(o.key.lastIndexOf("attempts/")))).toEqual([
      "attempts/1/model.bin",
      "attempts/1/sub/notes.txt",
    ]);
  }, 90_000);

  it("a builtin trainer's model.safetensors and builtin.json arrive with no user action", async () => {
    const yaml = `name: builtin-artifacts
objective: {metric: accuracy, direction: maximize}
space:
  learning_rate: {type: float, low: 0.002, high: 0.01, log: true}
budget: {max_trials: 1, max_parallel: 1}
run:
  builtin: {trainer: mlp, dataset: digits, epochs: 1}
`;
    const study = await a.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: a.orgId });
    const trial = await waitForTrial(study.id, ["complete", "failed"]);
    expect(trial.state).toBe("complete");
    const out = path.join(dir, "work", "trials", trial.id, "attempt-1");
    const rows = await db.query<{ name: string; sha256: string }>(
      "select name, sha256 from trial_artifacts where trial_id = $1 order by name",
      [trial.id],
    );
    expect(rows).toEqual(
      ["builtin.json", "model.safetensors"].map((name) => ({ name, sha256: sha(readFileSync(path.join(out, name))) })),
    );
  }, 90_000);

  it("refuses a wrong lease token, a body over run.artifacts_max_mb and a wrong SHA-256, storing nothing", async () => {
    const go = path.join(dir, `go-${randomUUID()}`);
    const waiter = script(
      "wait.py",
      `import json, os, sys, time
out = os.environ["AUTOGLM_OUTPUT_DIR"]
open(os.path.join(out, "big.bin"), "wb").write(b"x" * (2 * 1024 * 1024))
open(os.path.join(out, "small.txt"), "w").write("small")
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
print(json.dumps({"autoglm": 1, "final": {"loss": 0.5}}))
`,
    );
    const yaml = `name: capped
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  command: /usr/bin/python3 ${waiter} ${go}
  artifacts_max_mb: 1
`;
    const study = await a.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: a.orgId });
    const running = await waitForTrial(study.id, ["running"]);
    const before = (await server.artifacts.list("")).length;

    const wrongLease = await put(running.id, "a.txt", agentToken, randomUUID(), Buffer.from("a"));
    expect(wrongLease.status).toBe(409);
    const over = await put(running.id, "big.bin", agentToken, running.lease_token!, randomBytes(1024 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { message: string } }).error.message).toBe(
      "big.bin is 1048577 bytes; this attempt has stored 0 of its 1048576 bytes (run.artifacts_max_mb: 1), so 1048576 bytes remain.",
    );
    const badSha = await put(running.id, "a.txt", agentToken, running.lease_token!, Buffer.from("a"), "0".repeat(64));
    expect(badSha.status).toBe(400);
    const traversal = await put(running.id, "..%2Fescape.txt", agentToken, running.lease_token!, Buffer.from("a"));
    expect(traversal.status).toBe(400);
    const noToken = await put(running.id, "a.txt", "agl_not-a-token", running.lease_token!, Buffer.from("a"));
    expect(noToken.status).toBe(401);
    expect((await server.artifacts.list("")).length).toBe(before);
    expect(await db.query("select 1 from trial_artifacts where trial_id = $1", [running.id])).toEqual([]);

    // The agent itself skips the file over the cap, says so in the log, and uploads the rest.
    writeFileSync(go, "");
    const done = await waitForTrial(study.id, ["complete", "failed"]);
    expect(done.state).toBe("complete");
    const names = await db.query<{ name: string }>("select name from trial_artifacts where trial_id = $1", [done.id]);
    expect(names.map((r) => r.name)).toEqual(["small.txt"]);
    const [attemptRow] = await db.query<{ log_tail: string }>("select log_tail from trial_attempts where trial_id = $1", [
      done.id,
    ]);
    expect(attemptRow!.log_tail).toContain("artifact big.bin not uploaded: 2097152 bytes, over the 1048576 bytes left");
    expect(existsSync(go)).toBe(true);
  }, 90_000);
});

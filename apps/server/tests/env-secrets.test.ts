/**
 * `run.env` values are write-only: over HTTP, study.get shows them masked, yet a real agent,
 * connected with an agent token made in the API, receives the real value in its trial's
 * environment (the lease reads the study row, which keeps it).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

const SECRET = "sk-live-0a1b2c3d4e5f";
let db: TestDb;
let server: RunningServer;
let dataDir: string;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-env-test-"));
  // Trials run as nobody when the tests run as root: a directory anyone may enter.
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-env-trials-"));
  chmodSync(dir, 0o777);
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("run.env secrets", () => {
  it("are masked in study.get and delivered to the agent's trial", async () => {
    const browser = new Browser(server.url);
    const email = `env-${Date.now()}@example.com`;
    await browser.call("auth.signUp", { email, password: "correct horse battery", name: "Env" });
    expect((await browser.signIn(email, "correct horse battery")).status).toBe(200);
    const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
    const project = await browser.call<{ id: string }>("project.create", { name: "Env" }, { org: orgId });
    const script = path.join(dir, "dump.py");
    writeFileSync(
      script,
      `import json, os
open(os.path.join(os.environ["AUTOGLM_OUTPUT_DIR"], "api_key.txt"), "w").write(os.environ.get("API_KEY", "<missing>"))
print(json.dumps({"autoglm": 1, "final": {"loss": 0.5}}))
`,
    );
    chmodSync(script, 0o755);
    const yaml = `name: env-secret
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 1, max_parallel: 1}
run:
  command: /usr/bin/python3 ${script}
  env: {API_KEY: "${SECRET}"}
`;
    const study = await browser.call<{ id: string }>("study.create", { projectId: project.id, yaml }, { org: orgId });
    const shown = await browser.trpc("study.get", { studyId: study.id }, { org: orgId, query: true });
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body)).not.toContain(SECRET);
    expect((shown.body.result?.data as { spec: { run: { env: Record<string, string> } } }).spec.run.env).toEqual({
      API_KEY: "••••••",
    });

    const { token } = await browser.call<{ token: string }>("token.create", { name: "agent", scopes: ["agent"] }, { org: orgId });
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    agent = await startAgent({
      server: server.url,
      token,
      gpus: [],
      workDir: path.join(dir, "work"),
      cwd: dir,
      maxTrials: 1,
      logger: quiet,
    });
    await agent.registered;
    let trial: { id: string; state: string } | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      [trial] = await db.query<{ id: string; state: string }>("select id, state from trials where study_id = $1", [study.id]);
      if (trial?.state === "complete" || trial?.state === "failed") break;
    }
    expect(trial?.state).toBe("complete");
    expect(readFileSync(path.join(dir, "work", "trials", trial!.id, "attempt-1", "api_key.txt"), "utf8")).toBe(SECRET);
  }, 60_000);
});

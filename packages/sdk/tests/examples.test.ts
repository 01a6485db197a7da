import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PKG_DIR, run } from "./helpers/run.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const SPEC = {
  name: "examples",
  objective: { metric: "loss", direction: "minimize" as const },
  space: {
    x: { type: "float" as const, low: -5, high: 10 },
    lr: { type: "float" as const, low: 1e-5, high: 1e-1, log: true },
    act: { type: "categorical" as const, choices: ["relu", "gelu"] },
  },
};

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.close();
});

describe("examples", () => {
  it("examples/ask_tell.py (urllib only) completes trials over plain HTTP, and stops with the budget", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: { ...SPEC, budget: { max_trials: 4 } } });
    const r = await run("python3", ["examples/ask_tell.py", id, "--trials", "6"], {
      env: { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^trial #\d+ value /gm)).toHaveLength(4);
    expect(r.stdout).toMatch(/^study ended: The study is completed/m);
    expect(r.stdout).toMatch(/^best: trial #\d+ value /m);
    const study = await srv.client.studies.get(id);
    expect(study.counts.complete).toBe(4);
    expect(study.best).not.toBeNull();
    const trial = await srv.client.trials.get(study.best!.trialId);
    expect(trial.intermediate).toHaveLength(3);
  });

  it("examples/ask_tell.py with a bad token: one line, exit 1", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: { ...SPEC, name: "py-bad-token" } });
    const r = await run("python3", ["examples/ask_tell.py", id, "--trials", "1"], {
      env: { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: "agl_notarealtoken000000000000000000000000" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ask_tell\.py: error: token rejected: /);
  });

  it("examples/ask-tell.ts runs the typed loop", async () => {
    const { id } = await srv.client.studies.create({ projectId: srv.projectId, spec: { ...SPEC, name: "ts-example" } });
    const tsx = join(PKG_DIR, "node_modules", "tsx", "dist", "cli.mjs");
    const r = await run(process.execPath, [tsx, "examples/ask-tell.ts", id, "3"], {
      env: { AUTOGLM_SERVER: srv.url, AUTOGLM_TOKEN: srv.token },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^trial #\d+ complete value /gm)).toHaveLength(3);
    expect((await srv.client.studies.get(id)).counts.complete).toBe(3);
  });
});

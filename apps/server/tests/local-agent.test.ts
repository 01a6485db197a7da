import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueLocalAgentToken, seedDemoAll } from "@autoglm/api";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { seedRunStudy, seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { REPO_ROOT } from "../src/env.js";
import { startLocalAgent, type LocalAgent } from "../src/local-agent.js";
import { startServer, type RunningServer } from "../src/server.js";

/**
 * The embedded database and `npm start`'s local agent on one machine: trials (nobody, when
 * the server runs as root, as in CI and most containers) must run from any checkout and
 * must not read the data directory. This file always uses PGlite: the data directory is
 * what it is about.
 */
if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

const isRoot = process.getuid?.() === 0;
let root: string;
let dataDir: string;
let server: RunningServer;
let demo: { orgId: string; userId: string; studyId: string } | null = null;
const logs: string[] = [];
const agents: RunningAgent[] = [];
let local: LocalAgent | null = null;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "autoglm-local-agent-test-"));
  // Anyone may pass through the parent: only the data directory's own modes keep trials out.
  chmodSync(root, 0o755);
  dataDir = path.join(root, "data");
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.AUTH_SECRET;
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    dataDir,
    env,
    log: (l) => logs.push(l),
    beforeRunLoop: async (db) => {
      demo = await seedDemoAll(db, { password: "autoglm-demo", trials: 20 });
    },
  });
});

afterAll(async () => {
  await local?.stop();
  await Promise.all(agents.map((a) => a.stop()));
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function waitFor<T>(fn: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms; server log:\n${logs.slice(-20).join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Entries below `dir` (itself included) that are not ours, or not 0700 directories / 0600 files. */
function looseModes(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = statSync(p);
    const mode = st.mode & 0o777;
    if (st.uid !== process.getuid?.()) out.push(`uid ${st.uid} ${p}`);
    if (st.isDirectory()) {
      if (mode !== 0o700) out.push(`${mode.toString(8)} ${p}`);
      for (const e of readdirSync(p)) visit(path.join(p, e));
    } else if (mode !== 0o600) out.push(`${mode.toString(8)} ${p}`);
  };
  visit(dir);
  return out;
}

describe("the data directory", () => {
  it("is 0700 with 0600 files (the auth secret and the database) after a server start", () => {
    expect(existsSync(path.join(dataDir, "auth-secret"))).toBe(true);
    expect(existsSync(path.join(dataDir, "pglite", "PG_VERSION"))).toBe(true);
    expect(looseModes(dataDir)).toEqual([]);
  });

  if (!isRoot) console.log("skipped: a trial running as nobody needs an agent running as root (CI runs as root)");
  it.skipIf(!isRoot)("cannot be read by a trial of an agent running as root (trials run as nobody)", async () => {
    const db = server.platform.db;
    const team = await seedTeam(db, "data-dir-reader");
    const token = await seedToken(db, team);
    const target = path.join(dataDir, "pglite", "PG_VERSION");
    const studyId = await seedRunStudy(db, team, {
      budget: { max_trials: 1, max_parallel: 1, max_attempts: 1 },
      run: { command: `cat ${target} && echo '{"autoglm": 1, "final": {"loss": 1}}'` },
    });
    const work = path.join(root, "agent");
    mkdirSync(work);
    chmodSync(work, 0o755);
    const agent = await startAgent({
      server: server.url,
      token,
      name: "data-dir-reader",
      gpus: [],
      workDir: path.join(work, "work"),
      cwd: work,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    agents.push(agent);
    const [row] = await waitFor(async () => {
      const rows = await db.query<{ state: string; end_code: string | null; log_tail: string | null }>(
        `SELECT t.state, t.end_code, a.log_tail FROM trials t JOIN trial_attempts a ON a.trial_id = t.id
         WHERE t.study_id = $1 AND t.state IN ('complete', 'failed') AND a.ended_at IS NOT NULL`,
        [studyId],
      );
      return rows.length > 0 ? rows : null;
    }, 30_000);
    expect(row!.log_tail).toContain("Permission denied");
    expect(row!.state).toBe("failed");
    expect(row!.end_code).toBe("USER_COMMAND_EXIT_NONZERO");
  });
});

describe("npm start's local agent", () => {
  it("runs the demo study's trials from a checkout its trial user cannot enter", async () => {
    // A stand-in for a clone in a mode-0700 `mktemp -d` directory (or in /root).
    const checkout = mkdtempSync(path.join(tmpdir(), "autoglm-private-clone-"));
    try {
      mkdirSync(path.join(checkout, "examples/demo"), { recursive: true });
      copyFileSync(path.join(REPO_ROOT, "examples/demo/branin-curve.mjs"), path.join(checkout, "examples/demo/branin-curve.mjs"));
      const token = await issueLocalAgentToken(server.platform.db, demo!);
      local = startLocalAgent({ server: server.url, token, log: (l) => logs.push(l), repoRoot: checkout });
      // The seed finished trials 0-19 by ask/tell: anything numbered 20+ ran on the agent.
      const done = await waitFor(async () => {
        const rows = await server.platform.db.query<{ number: number; state: string; end_code: string | null }>(
          `SELECT number, state, end_code FROM trials WHERE study_id = $1 AND number >= 20 AND state IN ('complete', 'pruned', 'failed')`,
          [demo!.studyId],
        );
        return rows.length > 0 ? rows : null;
      }, 60_000);
      expect(done.filter((r) => r.state === "failed")).toEqual([]);
      if (isRoot) expect(logs.join("\n")).toContain(`cannot enter ${checkout}`);
    } finally {
      await local?.stop();
      // The agent's directory under the temp dir, named after this throwaway checkout.
      if (local && local.dirs.cwd !== checkout) rmSync(local.dirs.cwd, { recursive: true, force: true });
      local = null;
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { AccessChecker, defaultTrialUser, describeUser, ownTempDir } from "@autoglm/agent";
import type { TLogFormat } from "@autoglm/logging";
import { REPO_ROOT } from "./env.js";

export interface LocalAgent {
  /** Where it runs trials (localAgentDirs). */
  readonly dirs: LocalAgentDirs;
  stop(): Promise<void>;
}

const AGENT_CLI = path.join(REPO_ROOT, "packages/agent/dist/cli.js");

export interface LocalAgentDirs {
  /** The agent's current directory: the demo study's `node examples/demo/…` is relative to it. */
  cwd: string;
  /** `--work-dir`, when not the agent's default (`<cwd>/.autoglm-agent`). */
  workDir: string | null;
  /** Said once on the console when the trials cannot run from the checkout. */
  note: string | null;
}

/** Makes a copied tree readable by every user, whatever modes (umask 077) the clone has. */
function openUp(p: string): void {
  const st = statSync(p);
  if (st.isDirectory()) {
    chmodSync(p, 0o755);
    for (const e of readdirSync(p)) openUp(path.join(p, e));
  } else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
}

/**
 * Where the local agent runs trials. A server running as root has its agent run trials as
 * `nobody`, which cannot enter a checkout in /root or in a mode-0700 `mktemp -d` directory.
 * Then the agent works in `<tmpdir>/autoglm-local-agent-<checkout hash>` (ours, 0755): its
 * work dir, and a copy of examples/ (the demo study's command) as the trials' directory.
 * The data dir stays where it is, mode 0700: the trials must never read it.
 */
export function localAgentDirs(repoRoot: string = REPO_ROOT): LocalAgentDirs {
  const user = defaultTrialUser();
  const keep = { cwd: repoRoot, workDir: null, note: null };
  if (!user) return keep;
  const checker = new AccessChecker(user);
  if (checker.unreachable([{ path: repoRoot, mode: "x", what: "the checkout" }], "/").length === 0) return keep;
  const id = createHash("sha256").update(repoRoot).digest("hex").slice(0, 12);
  const home = ownTempDir(`autoglm-local-agent-${id}`);
  const examples = path.join(home, "examples");
  rmSync(examples, { recursive: true, force: true });
  if (existsSync(path.join(repoRoot, "examples"))) {
    cpSync(path.join(repoRoot, "examples"), examples, { recursive: true });
    openUp(examples);
  }
  return {
    cwd: home,
    workDir: path.join(home, "work"),
    note: `trials run as ${describeUser(user)}, which cannot enter ${repoRoot}: they run in ${home} (with a copy of examples/)`,
  };
}

/**
 * `npm start`'s one local agent: a child process (a crash of either side leaves the other
 * up) that connects back over Socket.IO like any remote agent. The token travels in the
 * environment, never on the command line (`ps`) or in the log (S10). Restarted with a
 * back-off if it exits on its own.
 */
export function startLocalAgent(input: {
  server: string;
  token: string;
  log: (line: string) => void;
  repoRoot?: string;
  /** The server's LOG_FORMAT, which the agent inherits: its JSON lines are passed on as they are. */
  logFormat?: TLogFormat;
}): LocalAgent {
  if (!existsSync(AGENT_CLI)) throw new Error(`the agent is not built (${AGENT_CLI}); run \`pnpm build\``);
  const dirs = localAgentDirs(input.repoRoot);
  if (dirs.note) input.log(`[local-agent] ${dirs.note}`);
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;

  const launch = () => {
    const args = [AGENT_CLI, "--server", input.server, "--name", "local-agent", "--label", "local=true"];
    if (dirs.workDir) args.push("--work-dir", dirs.workDir);
    child = spawn(process.execPath, args, {
      cwd: dirs.cwd,
      env: { ...process.env, AUTOGLM_TOKEN: input.token, ...(input.logFormat ? { LOG_FORMAT: input.logFormat } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (chunk: Buffer) => {
      // Each trial is on the dashboard; the console keeps what needs attention.
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim() || line.includes("trial started")) continue;
        input.log(input.logFormat === "json" && line.startsWith("{") ? line : `[local-agent] ${line}`);
      }
    };
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
    child.on("exit", (code, signal) => {
      child = null;
      if (stopping) return;
      const delay = Math.min(30_000, 1_000 * 2 ** restarts++);
      input.log(`[local-agent] exited (${signal ?? code}); restarting in ${delay / 1000} s`);
      setTimeout(() => {
        if (!stopping) launch();
      }, delay).unref();
    });
  };
  launch();

  return {
    dirs,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        const c = child;
        if (!c) return resolve();
        c.once("exit", () => resolve());
        // SIGTERM hands running trials back to the server (R10) before the agent exits.
        c.kill("SIGTERM");
        setTimeout(() => c.kill("SIGKILL"), 12_000).unref();
      }),
  };
}

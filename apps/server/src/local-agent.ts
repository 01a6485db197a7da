import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./env.js";

export interface LocalAgent {
  stop(): Promise<void>;
}

const AGENT_CLI = path.join(REPO_ROOT, "packages/agent/dist/cli.js");

/**
 * `npm start`'s one local agent: a child process (a crash of either side leaves the other
 * up) that connects back over Socket.IO like any remote agent. The token travels in the
 * environment, never on the command line (`ps`) or in the log (S10). Restarted with a
 * back-off if it exits on its own.
 */
export function startLocalAgent(input: { server: string; token: string; log: (line: string) => void }): LocalAgent {
  if (!existsSync(AGENT_CLI)) throw new Error(`the agent is not built (${AGENT_CLI}); run \`pnpm build\``);
  let child: ChildProcess | null = null;
  let stopping = false;
  let restarts = 0;

  const launch = () => {
    child = spawn(process.execPath, [AGENT_CLI, "--server", input.server, "--name", "local-agent", "--label", "local=true"], {
      cwd: REPO_ROOT,
      env: { ...process.env, AUTOGLM_TOKEN: input.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (chunk: Buffer) => {
      // Each trial is on the dashboard; the console keeps what needs attention.
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() && !line.includes("trial started")) input.log(`[local-agent] ${line}`);
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

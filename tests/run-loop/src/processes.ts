import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const AGENT_BIN = path.join(repoRoot, "packages/agent/dist/cli.js");
const logsDir = path.join(repoRoot, "test-results", "logs");

export interface AgentProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `autoglm-agent` as its own process (the token through AUTOGLM_TOKEN, never argv).
 * Output goes to test-results/logs, which `npm test` scans for secrets (S10).
 */
export function spawnAgent(opts: {
  url: string;
  token: string;
  name: string;
  workDir: string;
  cwd: string;
  maxTrials: number;
  heartbeatMs: number;
  killGraceMs?: number;
  shutdownGraceMs?: number;
  logTag: string;
}): AgentProcess {
  mkdirSync(logsDir, { recursive: true });
  const log = createWriteStream(path.join(logsDir, `run-loop-${opts.logTag}-${opts.name}.log`), { flags: "a" });
  const child = spawn(
    process.execPath,
    [
      AGENT_BIN,
      "--server",
      opts.url,
      "--name",
      opts.name,
      "--max-trials",
      String(opts.maxTrials),
      "--work-dir",
      opts.workDir,
      "--heartbeat-ms",
      String(opts.heartbeatMs),
      "--kill-grace-ms",
      String(opts.killGraceMs ?? 2_000),
      "--shutdown-grace-ms",
      String(opts.shutdownGraceMs ?? 5_000),
      "--ack-timeout-ms",
      "1000",
      "--reconnect-max-ms",
      "1000",
      "--no-gpus",
    ],
    {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", AUTOGLM_TOKEN: opts.token },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    name: opts.name,
    child,
    exited,
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
    },
  };
}

/** Kills a process id we started (directly or as a trial of an agent we started), ignoring the dead. */
export function killPid(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

export { isAlive } from "../../../packages/agent/src/testing/harness.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

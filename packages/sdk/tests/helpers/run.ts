import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const PKG_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as a child process, asynchronously: the server under test lives in this
 * process, so a spawnSync would block the very event loop that has to answer it.
 */
export function run(
  command: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  // Start from a clean slate: the developer's own AUTOGLM_* must not leak into a test.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("AUTOGLM_")) env[k] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PKG_DIR, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** `autoglm …` with the built CLI. */
export function cli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { env, ...(input !== undefined ? { input } : {}) });
}

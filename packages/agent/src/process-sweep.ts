import { readdirSync, readFileSync } from "node:fs";

/**
 * The environment variable that marks every process of one trial attempt. A trial's process
 * group is not enough to find them all: a command that calls `setsid` (or daemonizes) leaves
 * the group, and its parent chain is cut when it is re-parented to PID 1. The environment is
 * inherited through both, so the agent finds leftovers by this cookie, the way Jenkins'
 * ProcessTreeKiller does with BUILD_ID. Only a process that scrubs its own environment escapes.
 */
export const RUN_COOKIE_ENV = "AUTOGLM_RUN_COOKIE";

/**
 * Sends `signal` to every process whose environment holds RUN_COOKIE_ENV=cookie and returns
 * their pids. Linux only (reads /proc); elsewhere it finds nothing. Processes that exit while
 * being read, or whose environment is not readable (another user's, without privilege), are
 * skipped: this is a best-effort sweep after the process group has been signalled.
 */
export function signalByCookie(cookie: string, signal: NodeJS.Signals = "SIGKILL"): number[] {
  if (process.platform !== "linux") return [];
  const needle = Buffer.from(`${RUN_COOKIE_ENV}=${cookie}\0`);
  const inner = Buffer.concat([Buffer.from([0]), needle]);
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const hit: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    // environ is NUL-separated; the needle ends in NUL, so a longer cookie cannot match. The
    // first variable has no NUL before it, hence the two checks.
    if (!(environ.subarray(0, needle.length).equals(needle) || environ.includes(inner))) continue;
    try {
      process.kill(pid, signal);
      hit.push(pid);
    } catch {
      /* exited meanwhile */
    }
  }
  return hit;
}

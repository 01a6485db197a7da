import { spawnSync } from "node:child_process";

const PNPM_VERSION = "9.15.9";

/**
 * Returns the command that runs pnpm: the installed one when its major matches, else a
 * global install from the npm registry (the only network a fresh machine is sure to
 * have), else npx as a last resort.
 */
export function ensurePnpm(cwd) {
  const probe = spawnSync("pnpm", ["--version"], { cwd, encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim().startsWith("9.")) return ["pnpm"];
  console.log(`installing pnpm ${PNPM_VERSION} …`);
  const install = spawnSync("npm", ["install", "-g", `pnpm@${PNPM_VERSION}`], { cwd, stdio: "inherit" });
  if (install.status === 0) return ["pnpm"];
  return ["npx", "--yes", `pnpm@${PNPM_VERSION}`];
}

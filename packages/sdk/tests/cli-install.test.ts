import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PKG_DIR, run } from "./helpers/run.js";

// The README's ways to get `autoglm` on a machine, run as written: `pnpm autoglm …` in the
// repository (after `npm start`, which builds the SDK), and a global command with
// `pnpm link --global` (into a throwaway PNPM_HOME, so the machine's own is untouched).

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "autoglm-pnpm-home-"));
});
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe("installing the CLI", () => {
  it("npm start builds the SDK, so `pnpm autoglm` works right after it", async () => {
    const { QUICKSTART_BUILD_ARGS } = (await import(pathToFileURL(join(REPO, "scripts/lib/quickstart-build.mjs")).href)) as {
      QUICKSTART_BUILD_ARGS: string[];
    };
    const dry = spawnSync("pnpm", [...QUICKSTART_BUILD_ARGS, "--dry=json"], { cwd: REPO, encoding: "utf8", maxBuffer: 64 << 20 });
    expect(dry.status, dry.stderr).toBe(0);
    const tasks = (JSON.parse(dry.stdout) as { tasks: Array<{ package: string; task: string }> }).tasks;
    expect(tasks.filter((t) => t.task === "build").map((t) => t.package)).toContain("@autoglm/sdk");

    // No server in this file: a synchronous child blocks nothing.
    const r = spawnSync("pnpm", ["-s", "autoglm", "--help"], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Usage: autoglm [options] [command]");
    expect(r.stdout).toMatch(/^\s+study\s/m);
  });

  it("`pnpm link --global` in packages/sdk puts `autoglm` on the PATH", async () => {
    const env = { PNPM_HOME: home, PATH: `${home}:${process.env.PATH ?? ""}` };
    const link = await run("pnpm", ["link", "--global"], { env, timeoutMs: 120_000 });
    expect(link.code, link.stderr + link.stdout).toBe(0);
    const help = await run("autoglm", ["study", "--help"], { env, timeoutMs: 60_000 });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("apply [options]");
    expect(help.stdout).toContain("wait [options] <study>");
    expect(PKG_DIR).toBe(join(REPO, "packages/sdk/"));
  });
});

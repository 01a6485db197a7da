import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PKG = fileURLToPath(new URL("..", import.meta.url));

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (entry.name.endsWith(ext) && !entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The CLI tests run the built `dist/cli.js`; rebuild it when a source is newer (~4 s). */
export default function setup(): void {
  const cli = join(PKG, "dist", "cli.js");
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(PKG, "src"), ".ts")) return;
  execFileSync(process.execPath, [join(PKG, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: PKG,
    stdio: "inherit",
  });
}

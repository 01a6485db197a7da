// Lint rule for the package boundary (STYLE.md, "one-way package graph"): the optimizer
// imports nothing of ours and has no runtime dependencies, so any bare import in non-test
// sources other than node: builtins is an error.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const bad = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) {
      readFileSync(p, "utf8")
        .split("\n")
        .forEach((line, i) => {
          const m = line.match(/^\s*(?:import|export)\b[^"']*from\s+["']([^"']+)["']/) ?? line.match(/^\s*import\s+["']([^"']+)["']/);
          if (m && !m[1].startsWith(".") && !m[1].startsWith("node:")) bad.push(`${p}:${i + 1}: imports "${m[1]}"`);
        });
    }
  }
};
walk(new URL("../src", import.meta.url).pathname);
if (bad.length > 0) {
  console.error("@autoglm/optimizer must not import packages (no runtime deps, nothing of ours):\n" + bad.join("\n"));
  process.exit(1);
}

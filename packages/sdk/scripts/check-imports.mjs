// The SDK talks to the server over HTTP only: it may take @autoglm/api for its *types*, but
// must never load server code (api, db, scheduler) at run time (STYLE §1, one-way graph).
// tsc erases `import type`; this fails the lint if a value import ever slips in.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const FORBIDDEN = /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](@autoglm\/(?:api|db|scheduler)(?:\/[^"']*)?)["']/g;
const bad = [];
function walk(dir, test) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, test);
    else if (test(p)) {
      const text = readFileSync(p, "utf8");
      for (const m of text.matchAll(FORBIDDEN)) {
        // In sources, `import type { … } from "@autoglm/api"` is the allowed form.
        const line = text.slice(text.lastIndexOf("\n", m.index) + 1, text.indexOf("\n", m.index));
        if (/^\s*import\s+type\s/.test(line) || /^\s*export\s+type\s/.test(line)) continue;
        bad.push(`${p}: ${line.trim()}`);
      }
    }
  }
}
walk("src", (p) => p.endsWith(".ts") && !p.endsWith(".test.ts"));
try {
  walk("dist", (p) => p.endsWith(".js"));
} catch {
  // dist/ not built yet: the source check above is enough.
}
if (bad.length) {
  console.error(`@autoglm/sdk must not load server packages at run time:\n  ${bad.join("\n  ")}`);
  process.exit(1);
}
console.log("check-imports: ok (no run-time import of @autoglm/api, db or scheduler)");

#!/usr/bin/env node
// Bundles the builtin trial runner with everything it imports except @autoglm/native (a
// native addon and its data files, staged beside the bundle by the agent: builtin-runtime.ts)
// into ONE file, dist/runtime/builtin-runner.mjs. A trial running as another user (`nobody`
// under a root agent) then needs neither the checkout nor its node_modules, which it often
// cannot traverse (a clone in /root or in a mode-0700 `mktemp -d` directory).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [path.join(root, "src/builtin-runner.ts")],
  outfile: path.join(root, "dist/runtime/builtin-runner.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@autoglm/native", "@autoglm/native/*"],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __autoglmCreateRequire } from "node:module"; const require = __autoglmCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});

#!/usr/bin/env node
// `npm start`: from a fresh clone to a running platform in one command. Installs
// dependencies, builds, then starts the server, which migrates the embedded database,
// seeds the demo team and study, and prints the dashboard URL and the demo sign-in.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePnpm } from "./lib/pnpm.mjs";
import { QUICKSTART_BUILD_ARGS } from "./lib/quickstart-build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pnpm = ensurePnpm(root);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

function run(title, args) {
  console.log(`\n▸ ${title}`);
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`\n✗ ${title} failed (exit ${r.status}). Fix the error above and run \`npm start\` again.`);
    process.exit(r.status ?? 1);
  }
  console.log(`  done (${elapsed()})`);
}

run("Installing dependencies", ["install", "--frozen-lockfile"]);
run("Building the platform", QUICKSTART_BUILD_ARGS);

console.log(`\n▸ Starting Open-AutoGLM (first start migrates and seeds the embedded database)`);
const server = spawn(process.execPath, [path.join(root, "apps/server/dist/main.js"), "--seed-demo", "--with-agent"], {
  cwd: root,
  stdio: "inherit",
  // A terminal: readable lines (the server's and its local agent's) unless LOG_FORMAT says otherwise.
  env: { LOG_FORMAT: "pretty", ...process.env, AUTOGLM_STARTUP_T0: String(t0) },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code) => process.exit(code ?? 0));

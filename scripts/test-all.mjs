#!/usr/bin/env node
// `npm test`: installs, builds and runs every package's tests, then the browser tests,
// then scans everything the suite printed for secrets (S10). Ends with one line
// `N passed, N failed` so any CI reads the outcome.
//
//   npm test                 full run (install, build, all tests)
//   npm test -- --no-build   reuse what is built
//   npm test -- --only api   run the packages whose name contains "api"
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { fileURLToPath } from "node:url";
import { ensurePnpm } from "./lib/pnpm.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const skipBuild = args.includes("--no-build");
const onlyIdx = args.indexOf("--only");
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const logsDir = path.join(root, "test-results", "logs");
mkdirSync(logsDir, { recursive: true });

const pnpm = ensurePnpm(root);
const t0 = Date.now();

function step(title) {
  console.log(`\n=== ${title} (${Math.round((Date.now() - t0) / 1000)} s) ===`);
}

function runOrDie(cmd, cmdArgs, title) {
  step(title);
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...cmdArgs], { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status}).`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

if (!skipBuild) {
  runOrDie(pnpm, ["install", "--frozen-lockfile"], "install");
  runOrDie(pnpm, ["run", "build"], "build");
}

/** Workspace packages that define a test script, in dependency-friendly order (libraries first, browser tests last). */
function testPackages() {
  const dirs = [];
  for (const group of ["tooling", "packages", "native", "apps", "tests"]) {
    const base = path.join(root, group);
    if (!existsSync(base)) continue;
    const candidates = group === "native" ? [base] : readdirSync(base).map((d) => path.join(base, d));
    for (const dir of candidates) {
      const pkgFile = path.join(dir, "package.json");
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
      if (!pkg.scripts?.test) continue;
      if (only && !pkg.name.includes(only)) continue;
      dirs.push({ name: pkg.name, dir });
    }
  }
  // The Python SDK: pytest in its own virtual environment (packages/python/scripts/test.py
  // builds the wheel, installs it with the pinned test dependencies, runs pytest against a
  // platform it starts).
  const python = {
    name: "open-autoglm (python)",
    dir: path.join(root, "packages", "python"),
    cmd: [pythonCommand(), "scripts/test.py"],
  };
  if (!only || python.name.includes(only)) dirs.push(python);
  // Browser tests need everything else to be healthy; run them last.
  return dirs.sort((a, b) => Number(a.name.includes("e2e")) - Number(b.name.includes("e2e")));
}

/** `python3` (CI and Debian), else `python`. */
function pythonCommand() {
  for (const cmd of ["python3", "python"]) {
    if (spawnSync(cmd, ["--version"], { encoding: "utf8" }).status === 0) return cmd;
  }
  return "python3";
}

/** Counts from vitest, node:test, cargo and pytest summaries. */
function countResults(raw) {
  // vitest colours its summary even into a pipe; counts are read from the plain text.
  const output = stripVTControlCharacters(raw);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let found = false;
  for (const m of output.matchAll(/^\s*Tests\s+(.*)\(\d+\)\s*$/gm)) {
    found = true;
    passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0);
  }
  for (const m of output.matchAll(/^# (pass|fail|skipped) (\d+)$/gm)) {
    found = true;
    if (m[1] === "pass") passed += Number(m[2]);
    else if (m[1] === "fail") failed += Number(m[2]);
    else skipped += Number(m[2]);
  }
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    found = true;
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  // pytest: "===== 3 failed, 40 passed, 4 skipped, 1 error in 95.31s (0:01:35) =====" (no "=" with -q)
  for (const m of output.matchAll(/^(?:=+ )?((?:\d+ \w+(?:, )?)+) in [\d.]+s(?: \([\d:]+\))?(?: =+)?$/gm)) {
    if (!/\b(passed|failed|skipped|error|errors)\b/.test(m[1])) continue;
    found = true;
    passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0) + Number(/(\d+) errors?\b/.exec(m[1])?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0);
  }
  return { passed, failed, skipped, found };
}

/** The failed tests' names and first error lines from a vitest / node:test / pytest run, bounded. */
function failureExcerpt(raw) {
  const lines = stripVTControlCharacters(raw).split("\n");
  const start = lines.findIndex((l) => /Failed Tests \d+/.test(l));
  const picked =
    start >= 0
      ? lines.slice(start, start + 40)
      : lines.filter((l) => /^\s*(FAIL|FAILED|ERROR|×|✖|not ok)\b|Error:/.test(l)).slice(0, 30);
  return picked.length ? picked.join("\n") : lines.slice(-25).join("\n");
}

function runPackageTests({ name, dir, cmd }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const [bin, ...binArgs] = cmd ?? [...pnpm, "run", "test"];
    const child = spawn(bin, binArgs, { cwd: dir, env: process.env });
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => {
      writeFileSync(path.join(logsDir, `${name.replace(/[^a-z0-9]+/gi, "_")}.log`), output);
      resolve({ name, code, output, seconds: (Date.now() - started) / 1000, ...countResults(output) });
    });
  });
}

const results = [];
for (const pkg of testPackages()) {
  step(`test ${pkg.name}`);
  results.push(await runPackageTests(pkg));
}

// S10: nothing the suite printed (tests, servers, agents, trials) may hold a secret.
step("S10 secret scan of all test output");
const secretPatterns = [
  { name: "API token", re: /agl_[A-Za-z0-9]{30,}/ },
  { name: "Authorization header", re: /authorization:\s*bearer\s+\S{8,}/i },
  { name: "database URL with password", re: /postgres(?:ql)?:\/\/[^:\s/]+:[^@\s]+@/ },
  // The logger's censored value ("[REDACTED]") is not a password.
  { name: "password field", re: /"password"\s*:\s*"(?!\[REDACTED\]")[^"]{3,}"/i },
];
const scanned = [];
for (const file of readdirSync(logsDir)) {
  const text = readFileSync(path.join(logsDir, file), "utf8");
  for (const { name, re } of secretPatterns) {
    const m = re.exec(text);
    if (m) scanned.push(`${file}: ${name} (${m[0].slice(0, 12)}…)`);
  }
}
if (scanned.length) {
  console.log(`S10 FAILED: secrets found in test output:\n  ${scanned.join("\n  ")}`);
} else {
  console.log(`S10 passed: ${readdirSync(logsDir).length} log files, 0 secrets`);
}

let passed = 0;
let failed = 0;
let skipped = 0;
console.log("\n=== summary ===");
for (const r of results) {
  const ok = r.code === 0;
  // A package whose runner failed without a count still fails the suite.
  const f = r.failed || (ok ? 0 : 1);
  passed += r.passed;
  failed += f;
  skipped += r.skipped;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${r.name.padEnd(28)} ${String(r.passed).padStart(4)} passed ${String(f).padStart(3)} failed ${String(r.skipped).padStart(3)} skipped  ${r.seconds.toFixed(0)} s`,
  );
}
passed += scanned.length ? 0 : 1;
failed += scanned.length ? 1 : 0;
// CI shows only the tail of what ran: repeat each failure's headline there.
for (const r of results) {
  if (r.code === 0) continue;
  console.log(`\n--- ${r.name}: what failed (full log: test-results/logs) ---`);
  console.log(failureExcerpt(r.output));
}
console.log(`total time ${Math.round((Date.now() - t0) / 1000)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);

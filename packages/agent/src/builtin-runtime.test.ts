import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeSources, stageBuiltinRuntime, type RuntimeSources } from "./builtin-runtime.js";
import { cleanup, openTempDir } from "./testing/harness.js";
import { AccessChecker } from "./trial-access.js";
import { NOBODY } from "./trial-user.js";

const isRoot = process.getuid?.() === 0;
let base: string;
const dirs: string[] = [];

beforeAll(() => {
  const { runner, nativeDir } = runtimeSources();
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run pnpm --filter @autoglm/agent build`);
  if (!nativeDir) throw new Error("@autoglm/native is not installed");
  base = openTempDir("autoglm-runtime-test-");
  dirs.push(base);
});
afterAll(() => dirs.forEach(cleanup));

const modeOf = (p: string) => statSync(p).mode & 0o777;

describe("the builtin trainers' staged runtime", () => {
  it("stages the runner bundle and @autoglm/native under a content-hash name, readable by all, writable by its owner only", () => {
    const rt = stageBuiltinRuntime({ base });
    expect(rt.dir).toMatch(/[0-9a-f]{16}$/);
    expect(path.dirname(rt.dir!)).toBe(base);
    expect(rt.runner).toBe(path.join(rt.dir!, "builtin-runner.mjs"));
    const rels = rt.files.map((f) => path.relative(rt.dir!, f));
    expect(rels).toEqual(
      expect.arrayContaining([
        "builtin-runner.mjs",
        "node_modules/@autoglm/native/package.json",
        "node_modules/@autoglm/native/index.js",
        "node_modules/@autoglm/native/data.js",
        "node_modules/@autoglm/native/binding.cjs",
        "node_modules/@autoglm/native/data/digits.csv",
        "node_modules/@autoglm/native/data/shakespeare.txt",
      ]),
    );
    expect(rels.some((r) => r.endsWith(".node"))).toBe(true);
    expect(rels.some((r) => r.endsWith(".d.ts"))).toBe(false);
    for (const f of rt.files) expect(modeOf(f) & 0o044, f).toBe(0o044);
    for (const f of rt.files) expect(modeOf(f) & 0o022, f).toBe(0);
    expect(modeOf(rt.dir!)).toBe(0o755);
    expect(modeOf(path.join(rt.dir!, "node_modules/@autoglm/native/data"))).toBe(0o755);
    // A second agent reuses the stage as it is.
    expect(stageBuiltinRuntime({ base })).toEqual(rt);
    expect(readdirSync(base).filter((n) => !n.startsWith("."))).toEqual([path.basename(rt.dir!)]);
  });

  it("replaces a stage whose content no longer matches its hash", () => {
    const rt = stageBuiltinRuntime({ base });
    const data = path.join(rt.dir!, "node_modules/@autoglm/native/data/digits.csv");
    appendFileSync(data, "9,9,9\n");
    appendFileSync(rt.runner, "\nprocess.exit(3);\n");
    const again = stageBuiltinRuntime({ base });
    expect(again.runner).toBe(rt.runner);
    expect(readFileSync(again.runner, "utf8")).toBe(readFileSync(runtimeSources().runner, "utf8"));
    expect(readFileSync(data, "utf8")).toBe(readFileSync(path.join(runtimeSources().nativeDir!, "data/digits.csv"), "utf8"));
  });

  // CI clones into a mode-0700 directory and runs as root; trials run as nobody there.
  if (!isRoot) console.log("skipped: running the staged runtime as nobody needs root (tests run as root in CI)");
  it.skipIf(!isRoot)("runs a builtin trial as nobody when the checkout it came from is private to root", () => {
    // A stand-in for a private checkout: the sources copied into a mode-0700 directory.
    const priv = mkdtempSync(path.join(tmpdir(), "autoglm-private-checkout-"));
    dirs.push(priv);
    const real = runtimeSources();
    const sources: RuntimeSources = { runner: path.join(priv, "dist/builtin-runner.mjs"), nativeDir: path.join(priv, "native") };
    mkdirSync(path.dirname(sources.runner), { recursive: true });
    copyFileSync(real.runner, sources.runner);
    const copyTree = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      for (const e of readdirSync(from, { withFileTypes: true })) {
        if (e.name === "node_modules" || e.name === "target" || e.name === "src") continue;
        if (e.isDirectory()) copyTree(path.join(from, e.name), path.join(to, e.name));
        else if (e.isFile()) copyFileSync(path.join(from, e.name), path.join(to, e.name));
      }
    };
    copyTree(real.nativeDir!, sources.nativeDir!);
    const nobody = new AccessChecker(NOBODY);
    expect(nobody.unreachable([{ path: sources.runner, mode: "r", what: "runner" }], "/")).toHaveLength(1);

    // A base of its own: the stage is built from the private copy, not found from an earlier test.
    const own = openTempDir("autoglm-runtime-private-");
    dirs.push(own);
    const rt = stageBuiltinRuntime({ base: own, sources });
    expect(
      nobody.unreachable(
        rt.files.map((f) => ({ path: f, mode: "r" as const, what: "runtime" })),
        "/",
      ),
    ).toEqual([]);
    const out = path.join(own, "out");
    mkdirSync(out);
    chownSync(out, NOBODY.uid, NOBODY.gid);
    const r = spawnSync(process.execPath, [rt.runner], {
      cwd: "/",
      uid: NOBODY.uid,
      gid: NOBODY.gid,
      encoding: "utf8",
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        AUTOGLM_BUILTIN: JSON.stringify({ trainer: "mlp", dataset: "digits", epochs: 1 }),
        AUTOGLM_PARAMS: "{}",
        AUTOGLM_OUTPUT_DIR: out,
        AUTOGLM_DEVICE: "cpu",
      },
    });
    expect(r.stderr).not.toContain("cannot load");
    expect(r.status, r.stderr).toBe(0);
    const final = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { final?: Record<string, number> })
      .find((l) => l.final);
    expect(final?.final?.val_accuracy).toBeGreaterThan(0.5);
    expect(existsSync(path.join(out, "model.safetensors"))).toBe(true);
  });
});

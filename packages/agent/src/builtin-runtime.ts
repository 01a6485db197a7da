import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ownTempDir } from "./own-temp-dir.js";

/**
 * The builtin trainers' runtime, staged where the trial user can read it.
 *
 * A root agent runs trials as `nobody`, which often cannot traverse the checkout the agent
 * runs from (a clone in /root, or in a mode-0700 `mktemp -d` directory): every builtin trial
 * then died before printing a line. So the agent copies what a builtin trial loads — the
 * one-file runner bundle (scripts/bundle-runner.mjs) and the @autoglm/native package (its
 * loader, the .node addon, the datasets) — into `<base>/<content hash>/`, owned by the
 * agent's user, mode 0755/0644, and runs the copy. The directory's name is the hash of what
 * it must hold, and an existing one is re-hashed before use: a stale or tampered stage is
 * replaced, never trusted. About 3.3 MB; staged once per build, reused by every agent.
 */
export interface BuiltinRuntime {
  /** The file `node` runs for a builtin trial. */
  runner: string;
  /** Files a builtin trial must be able to read (the access check's list). */
  files: string[];
  /** The staged directory; null when the runner runs in place (not built as a bundle). */
  dir: string | null;
}

export interface RuntimeSources {
  /** The bundled runner (dist/runtime/builtin-runner.mjs). */
  runner: string;
  /** The @autoglm/native package directory; null when it cannot be found. */
  nativeDir: string | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Stages not used (their mtime is touched on use) for this long are removed by the next agent. */
const STALE_STAGE_MS = 7 * 24 * 3600_000;
const STAGE_NAME = /^[0-9a-f]{16}$/;

/**
 * dist/builtin-runner.js (unbundled, imports from the checkout's node_modules): beside this
 * module when running from dist, or in ../dist when it runs from src (vitest).
 */
export function builtinRunnerPath(): string {
  const sibling = path.join(here, "builtin-runner.js");
  return existsSync(sibling) ? sibling : path.resolve(here, "../dist/builtin-runner.js");
}

/** Where this build's runner bundle and @autoglm/native are. */
export function runtimeSources(): RuntimeSources {
  const runner = path.resolve(here, here.endsWith(`${path.sep}src`) ? "../dist/runtime" : "runtime", "builtin-runner.mjs");
  let nativeDir: string | null = null;
  try {
    // Resolving a path does not load the addon: only the trial's process does that.
    nativeDir = path.dirname(createRequire(import.meta.url).resolve("@autoglm/native"));
  } catch {
    /* not installed: builtin trials fail with the runner's "cannot load" line */
  }
  return { runner, nativeDir };
}

/** The files the published @autoglm/native package holds (its package.json `files`), less type declarations. */
function nativeFiles(nativeDir: string): string[] {
  const out = new Set<string>(["package.json"]);
  let listed: string[] = [];
  try {
    listed = (JSON.parse(readFileSync(path.join(nativeDir, "package.json"), "utf8")) as { files?: string[] }).files ?? [];
  } catch {
    return [];
  }
  const walk = (rel: string) => {
    const abs = path.join(nativeDir, rel);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const f of readdirSync(abs)) walk(path.join(rel, f));
    else if (st.isFile() && !rel.endsWith(".d.ts")) out.add(rel);
  };
  for (const entry of listed) {
    const e = entry.replace(/\/+$/, "");
    if (e.startsWith("*")) {
      // `*.node`: the only glob form the package uses.
      for (const f of readdirSync(nativeDir)) if (f.endsWith(e.slice(1))) walk(f);
    } else walk(e);
  }
  return [...out].sort();
}

interface StageFile {
  /** Path inside the stage. */
  rel: string;
  src: string;
  sha256: string;
  mode: number;
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function planStage(sources: RuntimeSources): StageFile[] {
  const files: StageFile[] = [{ rel: "builtin-runner.mjs", src: sources.runner, sha256: sha256(sources.runner), mode: 0o644 }];
  if (sources.nativeDir) {
    for (const rel of nativeFiles(sources.nativeDir)) {
      const src = path.join(sources.nativeDir, rel);
      const exec = (statSync(src).mode & 0o111) !== 0;
      files.push({ rel: path.join("node_modules/@autoglm/native", rel), src, sha256: sha256(src), mode: exec ? 0o755 : 0o644 });
    }
  }
  return files;
}

function stageId(files: StageFile[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.rel}\0${f.sha256}\n`);
  return h.digest("hex").slice(0, 16);
}

const ownUid = () => (typeof process.getuid === "function" ? process.getuid() : null);

/** A directory or file only its owner (us) can change: not a symlink, ours, not writable by group or others. */
function isOurs(p: string, kind: "dir" | "file"): boolean {
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st || (kind === "dir" ? !st.isDirectory() : !st.isFile())) return false;
  const uid = ownUid();
  return (uid === null || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** Whether `dir` holds exactly the planned content, in files and directories only we can change. */
function isValidStage(dir: string, files: StageFile[]): boolean {
  if (!isOurs(dir, "dir")) return false;
  for (const f of files) {
    const abs = path.join(dir, f.rel);
    for (let d = path.dirname(abs); d.length > dir.length; d = path.dirname(d)) if (!isOurs(d, "dir")) return false;
    if (!isOurs(abs, "file") || sha256(abs) !== f.sha256) return false;
  }
  return true;
}

/** `<tmpdir>/autoglm-runtime-<uid>` (ownTempDir: ours, 0755). */
export function defaultRuntimeBase(): string {
  const uid = ownUid();
  return ownTempDir(`autoglm-runtime${uid === null ? "" : `-${uid}`}`);
}

function writeStage(base: string, files: StageFile[]): string {
  const tmp = mkdtempSync(path.join(base, ".staging-"));
  try {
    for (const f of files) {
      const abs = path.join(tmp, f.rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      copyFileSync(f.src, abs);
      chmodSync(abs, f.mode);
    }
    // mkdtemp makes 0700 and the umask trims mkdir's mode: set every directory's mode here.
    const fixDirs = (d: string) => {
      chmodSync(d, 0o755);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) fixDirs(path.join(d, e.name));
    };
    fixDirs(tmp);
    return tmp;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function removeAside(base: string, dir: string): void {
  const aside = path.join(base, `.stale-${randomBytes(6).toString("hex")}`);
  try {
    renameSync(dir, aside);
  } catch {
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Removes stages nobody has started an agent on for STALE_STAGE_MS (each build leaves one). */
function pruneStages(base: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(base)) {
    if (name === keep || !STAGE_NAME.test(name)) continue;
    const dir = path.join(base, name);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() && now - st.mtimeMs > STALE_STAGE_MS && isOurs(dir, "dir")) removeAside(base, dir);
  }
}

/**
 * Stages the runtime under `base` (default `defaultRuntimeBase()`) and returns it. Without a
 * built bundle (running from src before `pnpm --filter @autoglm/agent build`) the unbundled
 * runner runs in place, which works whenever the trial user can read the checkout.
 */
export function stageBuiltinRuntime(options: { base?: string; sources?: RuntimeSources } = {}): BuiltinRuntime {
  const sources = options.sources ?? runtimeSources();
  if (!existsSync(sources.runner)) {
    const runner = builtinRunnerPath();
    return { runner, files: [runner], dir: null };
  }
  const files = planStage(sources);
  const base = options.base ?? defaultRuntimeBase();
  const id = stageId(files);
  const dir = path.join(base, id);
  if (!isValidStage(dir, files)) {
    const staged = writeStage(base, files);
    for (let tries = 0; ; tries++) {
      try {
        renameSync(staged, dir);
        break;
      } catch (err) {
        // Another agent staged the same content meanwhile (rename onto a non-empty directory
        // fails): use theirs if it checks out, else move it aside and take the name.
        if (isValidStage(dir, files)) {
          rmSync(staged, { recursive: true, force: true });
          break;
        }
        if (tries >= 2) {
          rmSync(staged, { recursive: true, force: true });
          throw err;
        }
        removeAside(base, dir);
      }
    }
  }
  const now = new Date();
  utimesSync(dir, now, now);
  pruneStages(base, id);
  return { runner: path.join(dir, "builtin-runner.mjs"), files: files.map((f) => path.join(dir, f.rel)), dir };
}

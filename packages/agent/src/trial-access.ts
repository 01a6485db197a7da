import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { describeUser, type TrialUser } from "./trial-user.js";

/**
 * Can the trial user reach what a trial needs? Asked of the kernel as that user: a shell
 * started with the trial's uid and gid (and, like the trial, no supplementary groups: libuv
 * drops them) runs `test -r/-x` on each path, so modes, ACLs and every directory on the way
 * count exactly as they will for the trial. `fs.accessSync` would answer for the agent's
 * own user (root, who can read anything).
 */
export type AccessMode = "r" | "x" | "rx";

export interface AccessNeed {
  /** The path as messages name it. */
  path: string;
  /** What is tested, when not `path` (the working directory is tested as ".", from inside it). */
  probe?: string;
  mode: AccessMode;
  /** What it is, for the message: "the command's script", "the agent's work dir", … */
  what: string;
}

// `/usr/bin/test` asks the kernel (faccessat with AT_EACCESS: ACLs count); the shell's
// built-in test is the fallback where coreutils is missing.
const CHECK_SCRIPT = `T=/usr/bin/test; [ -x "$T" ] || T=test
i=0
for a; do
  m=\${a%%:*}; p=\${a#*:}; bad=
  case $m in *r*) "$T" -r "$p" || bad=1;; esac
  case $m in *x*) "$T" -x "$p" || bad=1;; esac
  [ -z "$bad" ] || echo $i
  i=$((i+1))
done`;

/** Results are kept this long: a lease asks again at most every 10 s (an operator's chmod counts within that). */
export const ACCESS_CACHE_MS = 10_000;

export class AccessChecker {
  private readonly cache = new Map<string, { ok: boolean; at: number }>();

  constructor(
    readonly user: TrialUser,
    private readonly ttlMs = ACCESS_CACHE_MS,
  ) {}

  /**
   * The needs the trial user cannot meet, checked from `cwd` (where the trial will start). A
   * checker that cannot run at all (no /bin/sh) refuses nothing: the trial's own error says more.
   */
  unreachable(needs: AccessNeed[], cwd: string): AccessNeed[] {
    const now = Date.now();
    const keyOf = (n: AccessNeed) => `${n.mode}\0${cwd}\0${n.probe ?? n.path}`;
    const unknown = needs.filter((n) => {
      const hit = this.cache.get(keyOf(n));
      return !hit || now - hit.at > this.ttlMs;
    });
    if (unknown.length > 0) {
      const r = spawnSync("/bin/sh", ["-c", CHECK_SCRIPT, "sh", ...unknown.map((n) => `${n.mode}:${n.probe ?? n.path}`)], {
        cwd,
        uid: this.user.uid,
        gid: this.user.gid,
        encoding: "utf8",
        timeout: 10_000,
        stdio: ["ignore", "pipe", "ignore"],
      });
      if (r.error || r.signal) return [];
      const bad = new Set(r.stdout.split("\n").filter(Boolean).map(Number));
      unknown.forEach((n, i) => this.cache.set(keyOf(n), { ok: !bad.has(i), at: now }));
    }
    return needs.filter((n) => this.cache.get(keyOf(n))?.ok === false);
  }
}

const VERB: Record<AccessMode, string> = { r: "read", x: "reach", rx: "read and execute" };

/** Paths named in one message; a completion's reason holds 2,000 characters. */
const MAX_NAMED = 4;

/** One message naming the unreachable paths and the three ways out. */
export function describeNoAccess(user: TrialUser, missing: AccessNeed[]): string {
  let list = missing
    .slice(0, MAX_NAMED)
    .map((m) => `${VERB[m.mode]} ${m.path.slice(0, 300)} (${m.what})`)
    .join("; ");
  if (missing.length > MAX_NAMED) list += `; and ${missing.length - MAX_NAMED} more`;
  return (
    `trials on this agent run as ${describeUser(user)}, which cannot ${list}. ` +
    "Fix one of: make the path readable by that user (with search permission, o+x, on every directory above it); " +
    "start the agent with --run-as USER naming a user who can read it; or run the agent as a non-root user."
  );
}

// ------------------------------------------------------------------ what a command runs

/** Interpreters whose first non-option argument is the script they run. */
const INTERPRETER = /^(python[0-9.]*|pypy[0-9.]*|node|bash|sh|dash|zsh|perl|ruby|Rscript|julia|deno|bun)$/;
/** Options after which the next word is code or a module, not a script path. */
const NO_SCRIPT = new Set(["-c", "-m", "-e", "--eval", "-p", "--print", "-E", "run"]);
/** Interpreters that open their script by its absolute path (Python and Node resolve it first). */
const ABSOLUTE_OPEN = /^(python[0-9.]*|pypy[0-9.]*|node)$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const PREFIX_COMMANDS = new Set(["exec", "nohup", "env", "command"]);

/**
 * The leading words of a rendered command's first simple command, as `sh` will see them, or
 * null for a word this reading cannot know statically ($VAR, `…`, globs): those are never
 * second-guessed. Stops at the first operator (; & | ( ) < > newline).
 */
export function leadingWords(command: string, max = 12): Array<string | null> {
  const words: Array<string | null> = [];
  let i = 0;
  const n = command.length;
  while (words.length < max) {
    while (i < n && (command[i] === " " || command[i] === "\t")) i++;
    if (i >= n || ";&|()<>\n#".includes(command[i]!)) break;
    let word = "";
    let dynamic = false;
    while (i < n && !" \t\n;&|()<>".includes(command[i]!)) {
      const c = command[i]!;
      if (c === "'") {
        const end = command.indexOf("'", i + 1);
        if (end < 0) return words;
        word += command.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        while (i < n && command[i] !== '"') {
          if (command[i] === "\\" && i + 1 < n && '\\"$`\n'.includes(command[i + 1]!)) {
            word += command[i + 1];
            i += 2;
            continue;
          }
          if (command[i] === "$" || command[i] === "`") dynamic = true;
          word += command[i++];
        }
        i++;
      } else if (c === "\\") {
        if (i + 1 < n) word += command[i + 1];
        i += 2;
      } else {
        if ("$`*?[~".includes(c)) dynamic = true;
        word += c;
        i++;
      }
    }
    words.push(dynamic ? null : word);
  }
  return words;
}

function isElf(file: string): boolean {
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(4);
      readSync(fd, buf, 0, 4, 0);
      return buf.toString("latin1") === "\x7fELF";
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() === true;

/**
 * What a command trial runs, for the access check: its program when named by a path, and the
 * script an interpreter is given. Only files the agent itself can see are listed: a missing
 * file is the command's own error, not an access one.
 */
export function commandNeeds(command: string, workdir: string): AccessNeed[] {
  const words = leadingWords(command);
  let k = 0;
  for (;;) {
    const w = words[k];
    if (w === null || w === undefined) break;
    if (ASSIGNMENT.test(w)) k++;
    else if (PREFIX_COMMANDS.has(w)) {
      // `env -i FOO=1 python3 …`: its options go too.
      k++;
      while (words[k]?.startsWith("-")) k++;
    } else break;
  }
  const program = words[k];
  if (program === null || program === undefined) return [];
  const needs: AccessNeed[] = [];
  if (program.includes("/")) {
    const abs = path.resolve(workdir, program);
    // The shell runs it by the path as written, from the working directory.
    if (isFile(abs)) needs.push({ path: abs, probe: program, mode: isElf(abs) ? "x" : "rx", what: "the command" });
    return needs;
  }
  // The interpreter itself is looked up on PATH by the shell, which skips entries the trial
  // user cannot run (root's ~/.pyenv/shims before /usr/bin): its own error is clear enough.
  if (!INTERPRETER.test(program)) return needs;
  for (let j = k + 1; j < words.length; j++) {
    const w = words[j];
    if (w === null || w === undefined || NO_SCRIPT.has(w)) break;
    if (w.startsWith("-")) continue;
    const abs = path.resolve(workdir, w);
    if (isFile(abs))
      needs.push({ path: abs, probe: ABSOLUTE_OPEN.test(program) ? abs : w, mode: "r", what: "the command's script" });
    break;
  }
  return needs;
}

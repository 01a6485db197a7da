import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import {
  parseMetricLine,
  type TMetricValues,
  type TSourceRef,
  type TTrialComplete,
  type TTrialLease,
  type TTrialEndCode,
  type Logger,
} from "@autoglm/protocol";
import { renderCommand } from "./command.js";
import { buildTrialEnv, redact } from "./env.js";
import { LogBuffer } from "./log-buffer.js";
import { signalByCookie } from "./process-sweep.js";

export type StopReason = "prune" | "stop" | "stale" | "timeout" | "shutdown";

/** The file `should_prune()` of the Python helper looks for in AUTOGLM_OUTPUT_DIR. */
export const PRUNE_MARKER = ".autoglm_prune";

/**
 * Written by the agent into an attempt's output directory once the server has told it that
 * the attempt no longer holds the lease (R3/R8: its lease lapsed while the network was cut,
 * or the lease was never confirmed). The server refused that attempt's points, so its
 * checkpoint can be AHEAD of what the server stored: resuming from it skipped those steps,
 * and an attempt that had already reached its last step resumed, printed nothing and was
 * failed USER_NO_OBJECTIVE (found by R8). A fenced directory is never resumed from.
 */
export const FENCED_MARKER = ".autoglm_fenced";

export interface TrialRunContext {
  workDir: string;
  agentEnv: NodeJS.ProcessEnv;
  envAllowlist: string[];
  gpus: number[];
  killGraceMs: number;
  logLimitBytes: number;
  metricFlushMs: number;
  runAs: { uid: number; gid: number } | null;
  secrets: string[];
  /** The agent's current directory: the default workdir and the base of relative ones. */
  cwd: string;
  /** The file `node` runs for a builtin trial (the staged runner: builtin-runtime.ts). */
  builtinRunner(): string;
  /**
   * Why the trial user cannot run this trial (a path it cannot reach: trial-access.ts), or
   * null. Asked just before the process starts.
   */
  accessProblem(input: { command: string | null; workdir: string }): string | null;
  onPoints(run: TrialRun, points: Array<{ step: number; metrics: TMetricValues }>): void;
  onExit(run: TrialRun, outcome: Omit<TTrialComplete, "v" | "seq" | "trialId" | "attempt" | "leaseToken"> | null): void;
  /** Where the trial's own events go (the agent's logger at info). */
  log: Logger["info"];
}

/**
 * One attempt of one trial: a process group running the rendered command, its stdout parsed
 * for metric lines, everything else kept as a bounded log, stopped by SIGTERM to the group
 * and SIGKILL after the grace period.
 */
export class TrialRun {
  readonly outputDir: string;
  readonly resumeFrom: string | null;
  stopReason: StopReason | null = null;
  stopRequestedAt: number | null = null;
  sigtermAt: number | null = null;
  sigkillAt: number | null = null;
  exited = false;
  private child: ChildProcess | null = null;
  private readonly log: LogBuffer;
  private pending: Array<{ step: number; metrics: TMetricValues }> = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private exitTimer: NodeJS.Timeout | null = null;
  /** In the environment of every process of this attempt (process-sweep.ts). */
  private readonly cookie = randomUUID();
  private final: TMetricValues | undefined;
  private lastMetrics: TMetricValues = {};
  private lastStep: number | undefined;
  /** The last source line the command printed; it goes to the server once, on the completion. */
  private source: TSourceRef | undefined;

  constructor(
    readonly lease: TTrialLease,
    private readonly ctx: TrialRunContext,
  ) {
    this.log = new LogBuffer(ctx.logLimitBytes);
    const trialDir = path.join(ctx.workDir, "trials", lease.trialId);
    this.outputDir = path.join(trialDir, `attempt-${lease.attempt}`);
    this.resumeFrom = findCheckpoint(trialDir, lease.attempt);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get gpus(): number[] {
    return this.ctx.gpus;
  }

  start(): void {
    const l = this.lease;
    try {
      mkdirSync(this.outputDir, { recursive: true });
      if (this.ctx.runAs) {
        // The trial user passes through the trial's directory to its attempt's, whatever the umask.
        chmodSync(path.dirname(this.outputDir), 0o755);
        chownSync(this.outputDir, this.ctx.runAs.uid, this.ctx.runAs.gid);
      }
    } catch (err) {
      return this.failToStart(`could not create the output directory: ${String(err)}`);
    }
    const builtin = l.run.builtin;
    const command = builtin ? null : renderCommand(l.run.command ?? "", l.params);
    const workdir = l.run.workdir ? path.resolve(this.ctx.cwd, l.run.workdir) : this.ctx.cwd;
    if (!existsSync(workdir)) return this.failToStart(`the working directory ${workdir} does not exist on this agent`);
    const problem = this.ctx.accessProblem({ command, workdir });
    if (problem) return this.failToStart(problem, "AGENT_TRIAL_USER_NO_ACCESS");
    const env = buildTrialEnv({
      agentEnv: this.ctx.agentEnv,
      allowlist: this.ctx.envAllowlist,
      studyEnv: l.run.env,
      params: l.params,
      trialId: l.trialId,
      studyId: l.studyId,
      attempt: l.attempt,
      number: l.number,
      outputDir: this.outputDir,
      resumeFrom: this.resumeFrom,
      gpus: this.ctx.gpus,
      cookie: this.cookie,
      ...(this.ctx.runAs ? { home: this.outputDir } : {}),
    });
    if (builtin) {
      // Set after run.env, which cannot override AUTOGLM_* (buildTrialEnv drops those keys).
      env.AUTOGLM_BUILTIN = JSON.stringify(builtin);
      env.AUTOGLM_OBJECTIVE = JSON.stringify(l.objective);
    }
    let child: ChildProcess;
    try {
      // A builtin trial is a Node child process (the staged runner bundle), started exactly like
      // a command: same group, signals, timeout and log handling; a native crash ends only it.
      const [file, args] = command === null ? [process.execPath, [this.ctx.builtinRunner()]] : ["/bin/sh", ["-c", command]];
      child = spawn(file, args, {
        cwd: workdir,
        env,
        // Its own process group, so SIGTERM/SIGKILL reach the command's children too.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        ...(this.ctx.runAs ? { uid: this.ctx.runAs.uid, gid: this.ctx.runAs.gid } : {}),
      });
    } catch (err) {
      return this.failToStart(`could not start the command: ${String(err)}`);
    }
    this.child = child;
    child.on("error", (err) => this.log.push(redact(`[agent] process error: ${String(err)}`, this.ctx.secrets)));
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", (line) => this.onStdout(line));
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on("line", (line) =>
      this.log.push(redact(line, this.ctx.secrets)),
    );
    child.on("close", (code, signal) => this.onClose(code, signal));
    // The trial ends when its output closes, not when the command exits. A process the command
    // left running (in the background, or in its own session) that still holds stdout or stderr
    // would keep the trial open for as long as it runs: it gets the grace period to finish,
    // then the attempt's processes are killed, which closes the output.
    child.on("exit", () => {
      if (!this.exited) this.exitTimer = setTimeout(() => this.signal("SIGKILL"), this.ctx.killGraceMs);
    });
    if (l.run.timeoutMinutes) {
      this.timeoutTimer = setTimeout(() => this.stop("timeout"), l.run.timeoutMinutes * 60_000);
    }
  }

  private failToStart(reason: string, code: TTrialEndCode = "USER_COMMAND_SPAWN_FAILED"): void {
    this.exited = true;
    this.ctx.onExit(this, {
      outcome: "failed",
      code,
      reason,
      exitCode: null,
      signal: null,
      logTail: reason,
    });
  }

  private onStdout(line: string): void {
    const p = parseMetricLine(line);
    switch (p.kind) {
      case "log":
        this.log.push(redact(line, this.ctx.secrets));
        return;
      case "invalid":
        this.log.push(redact(`[agent] ignored a malformed metric line (${p.error}): ${line}`, this.ctx.secrets));
        return;
      case "source":
        this.source = p.source;
        return;
      case "final":
        this.final = { ...(this.final ?? {}), ...p.metrics };
        Object.assign(this.lastMetrics, p.metrics);
        return;
      case "step":
        Object.assign(this.lastMetrics, p.metrics);
        this.lastStep = this.lastStep === undefined ? p.step : Math.max(this.lastStep, p.step);
        this.pending.push({ step: p.step, metrics: p.metrics });
        if (this.pending.length >= 500) this.flush();
        else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.ctx.metricFlushMs);
    }
  }

  /** Hands buffered points to the agent's outbox (ordered, acked, retried there). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    this.ctx.onPoints(this, points);
  }

  /** SIGTERM to the process group now, SIGKILL after the grace; the first reason wins. */
  stop(reason: StopReason, graceMs = this.ctx.killGraceMs): void {
    if (this.exited) return;
    if (!this.stopReason) {
      this.stopReason = reason;
      this.stopRequestedAt = Date.now();
    }
    if (reason === "prune") {
      try {
        writeFileSync(path.join(this.outputDir, PRUNE_MARKER), "pruned\n");
      } catch {
        /* best effort: the signal is what counts */
      }
    }
    if (this.sigtermAt === null) {
      this.signal("SIGTERM");
      this.sigtermAt = Date.now();
    }
    const delay = Math.max(0, this.sigtermAt + graceMs - Date.now());
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      if (!this.exited) {
        this.sigkillAt = Date.now();
        this.signal("SIGKILL");
      }
    }, delay);
  }

  /** To the process group, then to the attempt's processes that left it (setsid, daemons). */
  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
    const escaped = signalByCookie(this.cookie, sig);
    if (escaped.length > 0)
      this.log.push(
        `[agent] sent ${sig} to ${escaped.length} process(es) of this trial outside its process group (pid ${escaped.join(", ")})`,
      );
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    for (const t of [this.killTimer, this.timeoutTimer, this.exitTimer]) if (t) clearTimeout(t);
    // Whatever is still in the group (a child that ignored the shell's exit), or left it, goes now.
    this.signal("SIGKILL");
    this.flush();
    const common = {
      exitCode: code,
      signal: signal ?? null,
      logTail: this.log.text(),
      ...(this.final ? { final: this.final } : {}),
      ...(Object.keys(this.lastMetrics).length ? { lastMetrics: this.lastMetrics } : {}),
      ...(this.lastStep !== undefined ? { lastStep: this.lastStep } : {}),
      ...(this.source ? { source: this.source } : {}),
    };
    const failed = (c: TTrialEndCode, reason: string) => ({ ...common, outcome: "failed" as const, code: c, reason });
    switch (this.stopReason) {
      case "prune":
        return this.ctx.onExit(this, { ...common, outcome: "pruned", reason: "pruned by the study's pruner" });
      case "stop":
        return this.ctx.onExit(this, { ...common, outcome: "stopped", reason: "stopped on request" });
      case "stale":
        // The server refuses this report unless it ended the attempt itself (prune or stop
        // racing the heartbeat): then it keeps the log tail and acknowledges a duplicate.
        return this.ctx.onExit(this, {
          ...common,
          outcome: "stopped",
          reason: "the server no longer leases this trial to this agent",
        });
      case "shutdown":
        return this.ctx.onExit(this, { ...common, outcome: "handback", reason: "the agent shut down and handed the trial back" });
      case "timeout":
        return this.ctx.onExit(
          this,
          failed(
            "USER_TIMEOUT",
            `the ${this.lease.run.builtin ? "builtin trainer" : "command"} ran longer than run.timeout_minutes (${this.lease.run.timeoutMinutes} min)`,
          ),
        );
    }
    if (code === 0) return this.ctx.onExit(this, { ...common, outcome: "complete" });
    const last = this.log.lastLines(1)[0];
    const why = signal ? `the command was killed by ${signal}` : `the command exited with code ${code}`;
    this.ctx.onExit(this, failed("USER_COMMAND_EXIT_NONZERO", last ? `${why}: ${last.slice(0, 500)}` : why));
  }
}

/**
 * The newest earlier attempt's output directory that holds anything besides the agent's own
 * marker files: the command wrote a checkpoint there, so AUTOGLM_RESUME_FROM points at it.
 */
function findCheckpoint(trialDir: string, attempt: number): string | null {
  for (let a = attempt - 1; a >= 1; a--) {
    const dir = path.join(trialDir, `attempt-${a}`);
    try {
      const files = readdirSync(dir);
      if (files.includes(FENCED_MARKER)) continue;
      if (files.some((f) => f !== PRUNE_MARKER)) return dir;
    } catch {
      /* that attempt ran on another machine or wrote nothing */
    }
  }
  return null;
}

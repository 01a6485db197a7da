import { chmodSync, existsSync, statSync } from "node:fs";
import type { Logger, TTrialLease } from "@autoglm/protocol";
import type { AgentSettings } from "./agent-options.js";
import { builtinRunnerPath, stageBuiltinRuntime, type BuiltinRuntime } from "./builtin-runtime.js";
import { AccessChecker, commandNeeds, describeNoAccess, type AccessNeed } from "./trial-access.js";
import { TrialRun, type TrialRunContext } from "./trial-runner.js";
import { agentUser, defaultTrialUser, describeUser, type TrialUser } from "./trial-user.js";

/** What a run reports back to the agent: its metric points and its end. */
export type TrialRunHooks = Pick<TrialRunContext, "onPoints" | "onExit">;

/**
 * Makes TrialRuns: the trial user (S8), the staged builtin runtime, and the check that the
 * trial user can reach what a trial needs (trial-access.ts), all decided once per agent.
 */
export class TrialLauncher {
  private runtime: BuiltinRuntime | null = null;
  private readonly checker: AccessChecker | null;
  private readonly workDirNeed: AccessNeed;

  constructor(
    private readonly settings: AgentSettings,
    /** The user trials run as; null keeps the agent's own. */
    readonly runAs: TrialUser | null,
    private readonly runtimeDir: string | undefined,
    private readonly logger: Logger,
  ) {
    const self = agentUser();
    const otherUser = runAs !== null && (self === null || runAs.uid !== self.uid || runAs.gid !== self.gid);
    // Output directories are chowned to the trial user inside trials/: it must be able to pass
    // through it whatever the umask was (a 077 umask made it 0700).
    if (otherUser && (statSync(settings.trialsDir).mode & 0o011) !== 0o011) chmodSync(settings.trialsDir, 0o755);
    this.checker = otherUser ? new AccessChecker(runAs!) : null;
    this.workDirNeed = {
      path: settings.trialsDir,
      mode: "x",
      what: "the agent's work dir, where trial output directories are made",
    };
    this.warnUnreachable();
  }

  /** A run of this lease on these GPUs, not yet started. */
  create(lease: TTrialLease, gpus: number[], hooks: TrialRunHooks): TrialRun {
    const s = this.settings;
    return new TrialRun(lease, {
      workDir: s.workDir,
      agentEnv: s.agentEnv,
      envAllowlist: s.envAllowlist,
      gpus,
      killGraceMs: s.killGraceMs,
      logLimitBytes: s.logLimitBytes,
      metricFlushMs: s.metricFlushMs,
      runAs: this.runAs,
      secrets: [s.token],
      cwd: s.cwd,
      builtinRunner: () => this.builtinRunner(),
      accessProblem: (input) => this.accessProblem(input),
      onPoints: hooks.onPoints,
      onExit: hooks.onExit,
      log: (m, f) => this.logger.info(m, { trialId: lease.trialId, ...f }),
    });
  }

  /** One warning at start naming what trials will not reach, rather than a failure per trial. */
  private warnUnreachable(): void {
    if (!this.checker) {
      this.builtinRunner();
      return;
    }
    const cwd = this.settings.cwd;
    const missing = this.checker.unreachable([this.workDirNeed, cwdNeed(cwd), ...this.builtinNeeds()], cwd);
    this.logger.info("trials run as another user", { user: describeUser(this.runAs!) });
    if (missing.length > 0) {
      this.logger.warn(`${describeNoAccess(this.runAs!, missing)} Trials that need these fail with AGENT_TRIAL_USER_NO_ACCESS.`, {
        unreachable: missing.map((m) => m.path),
      });
    }
  }

  /** The staged builtin runner, staged again if something removed it since. */
  private builtinRunner(): string {
    if (this.runtime && existsSync(this.runtime.runner)) return this.runtime.runner;
    try {
      this.runtime = stageBuiltinRuntime(this.runtimeDir ? { base: this.runtimeDir } : {});
    } catch (err) {
      // The trial's own "cannot load" error then says what is missing.
      this.logger.warn("could not stage the builtin trainers' runtime", { error: String(err) });
      const runner = builtinRunnerPath();
      this.runtime = { runner, files: [runner], dir: null };
    }
    return this.runtime.runner;
  }

  private builtinNeeds(): AccessNeed[] {
    this.builtinRunner();
    return [
      { path: process.execPath, mode: "x", what: "the Node.js binary that runs builtin trainers" },
      ...(this.runtime?.files ?? []).map((f): AccessNeed => ({ path: f, mode: "r", what: "the builtin trainers' runtime" })),
    ];
  }

  /** TrialRun asks this just before it starts a process. */
  private accessProblem({ command, workdir }: { command: string | null; workdir: string }): string | null {
    if (!this.checker) return null;
    const needs =
      command === null
        ? [this.workDirNeed, ...this.builtinNeeds()]
        : [this.workDirNeed, cwdNeed(workdir), ...commandNeeds(command, workdir)];
    const missing = this.checker.unreachable(needs, workdir);
    return missing.length > 0 ? describeNoAccess(this.runAs!, missing) : null;
  }
}

function cwdNeed(workdir: string): AccessNeed {
  return {
    path: workdir,
    probe: ".",
    mode: "x",
    what: "the trial's working directory (run.workdir, else the agent's current directory)",
  };
}

/** The `runAs` option's default: S8, trials never run as uid 0 unless asked (`null`). */
export function trialUserOf(runAs: TrialUser | null | undefined): TrialUser | null {
  return runAs === undefined ? defaultTrialUser() : runAs;
}

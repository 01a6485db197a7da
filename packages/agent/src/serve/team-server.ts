import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { renderCommand } from "../command.js";
import { RUN_COOKIE_ENV, signalByCookie } from "../process-sweep.js";

/** How a replica of flavor `command` starts the team's own server (the study's `serve` section). */
export interface TeamServerSpec {
  command: string;
  health: string;
  startupTimeoutS: number;
}

export interface TeamServerOptions {
  spec: TeamServerSpec;
  /** The version's files: the command's working directory. */
  modelDir: string;
  model: string;
  version: number;
  /** The user it runs as (nobody when the agent is root), as trials; null keeps the replica's own. */
  runAs: { uid: number; gid: number } | null;
  /** Marks every process it starts, so the agent finds those that leave its group (process-sweep.ts). */
  cookie: string;
  /** Its environment before PORT and the AUTOGLM_* variables: the replica's, already the trial allowlist. */
  baseEnv: Record<string, string>;
}

/** Between health probes while the server starts: fast enough that readiness is not delayed much. */
const PROBE_INTERVAL_MS = 200;
/** One probe's longest wait; a server that takes longer to answer its health path is not ready. */
const PROBE_TIMEOUT_MS = 5_000;

/** A free loopback port. Another process may take it before the team's server binds; it then fails to start and says so. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The team's server: `serve.command` run by /bin/sh in the version's file directory, in its own
 * process group (like a trial: signals reach the command's children), `{port}` and `$PORT` a free
 * loopback port. Its output goes to the replica's own stdout/stderr, which the agent reads.
 */
export class TeamServer {
  readonly port: number;
  private readonly child: ChildProcess;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly o: TeamServerOptions,
    port: number,
  ) {
    this.port = port;
    const env: NodeJS.ProcessEnv = {
      ...o.baseEnv,
      PORT: String(port),
      AUTOGLM_MODEL_DIR: o.modelDir,
      AUTOGLM_MODEL: o.model,
      AUTOGLM_MODEL_VERSION: String(o.version),
      PYTHONUNBUFFERED: "1",
      [RUN_COOKIE_ENV]: o.cookie,
      // Another user's HOME is not its own to write: the files' directory is (chowned to it).
      ...(o.runAs ? { HOME: o.modelDir } : {}),
    };
    this.child = spawn("/bin/sh", ["-c", renderCommand(o.spec.command, { port })], {
      cwd: o.modelDir,
      env,
      detached: true,
      stdio: ["ignore", "inherit", "inherit"],
      ...(o.runAs ? { uid: o.runAs.uid, gid: o.runAs.gid } : {}),
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      this.child.once("error", () => {
        this.exit ??= { code: null, signal: null };
        resolve();
      });
    });
  }

  /** Starts it and resolves once its health path answered 200 twice (ready, then one warm-up); throws why not. */
  static async start(o: TeamServerOptions): Promise<TeamServer> {
    const server = new TeamServer(o, await freeLoopbackPort());
    try {
      await server.waitHealthy();
      return server;
    } catch (err) {
      server.killNow();
      throw err;
    }
  }

  /** Resolves when it exits, with how. */
  async whenExited(): Promise<string> {
    await this.exited;
    return this.describeExit();
  }

  private describeExit(): string {
    const e = this.exit;
    if (!e) return "is running";
    if (e.signal) return `was killed by ${e.signal}`;
    return e.code === null ? "could not be started" : `exited with code ${e.code}`;
  }

  private async probe(deadline: number): Promise<string | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}${this.o.spec.health}`, {
        signal: AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))),
      });
      await res.arrayBuffer();
      return res.status === 200 ? null : `it answered ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return cause?.code === "ECONNREFUSED" ? "nothing listened on its port" : `no answer (${(err as Error).message})`;
    }
  }

  private async waitHealthy(): Promise<void> {
    const { health, startupTimeoutS } = this.o.spec;
    const deadline = Date.now() + startupTimeoutS * 1000;
    const what = `the serve command's server (${JSON.stringify(this.o.spec.command)})`;
    let last = "nothing listened on its port";
    for (;;) {
      if (this.exit) throw new Error(`${what} ${this.describeExit()} before GET ${health} answered 200`);
      const problem = await this.probe(deadline);
      if (problem === null) break;
      last = problem;
      if (Date.now() + PROBE_INTERVAL_MS >= deadline)
        throw new Error(
          `${what} did not answer GET ${health} with 200 within serve.startup_timeout_s (${startupTimeoutS} s): ${last}`,
        );
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
    // Readiness is one more answer after the first: a server that accepts once and then falls over is not ready.
    const warm = await this.probe(Date.now() + PROBE_TIMEOUT_MS);
    if (warm !== null) throw new Error(`${what} answered GET ${health} once, then not on the warm-up request: ${warm}`);
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      /* the group is gone */
    }
    signalByCookie(this.o.cookie, sig);
  }

  /** SIGTERM to its process group, SIGKILL to whatever is left after `graceMs`; resolves once the leader exited. */
  async stop(graceMs: number): Promise<void> {
    if (this.exit) return this.signal("SIGKILL");
    this.signal("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.signal("SIGKILL");
  }

  /** At once, synchronously: the replica process is exiting and must not leave the server behind. */
  killNow(): void {
    this.signal("SIGKILL");
  }
}

import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@autoglm/protocol";
import { DEFAULT_ENV_ALLOWLIST, redact } from "../env.js";
import { LogBuffer } from "../log-buffer.js";
import { signalByCookie } from "../process-sweep.js";
import type { ReplicaChildConfig, ReplicaChildReport } from "./replica-messages.js";
import { ReplicaOutputLog } from "./replica-output.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** dist/serve/replica-main.js: beside this module when running from dist, in ../../dist/serve from src (vitest). */
export function replicaMainPath(): string {
  const sibling = path.join(here, "replica-main.js");
  return existsSync(sibling) ? sibling : path.resolve(here, "../../dist/serve/replica-main.js");
}

export interface ReplicaProcessOptions {
  config: Omit<ReplicaChildConfig, "type" | "port" | "gpus" | "teamEnv">;
  /** CUDA_VISIBLE_DEVICES of the replica (empty: no GPU). */
  gpus: number[];
  agentEnv: NodeJS.ProcessEnv;
  envAllowlist: string[];
  logger: Logger;
  /** Crashes restarted before the replica is given up (the issue's 3). */
  maxRestarts: number;
  /** Load + warm-up + health check must finish within this. */
  startTimeoutMs: number;
  /** Serving at this URL (again after a restart that had to take another port). */
  onReady(url: string): void;
  /** Gave up: failed to load, or crashed past its restarts. */
  onFailed(reason: string): void;
}

/** The replica's environment: the agent's allowlisted variables (never its token) and its GPUs. */
function replicaEnv(o: ReplicaProcessOptions): Record<string, string> {
  const allow = new Set([...DEFAULT_ENV_ALLOWLIST, ...o.envAllowlist]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.agentEnv)) if (v !== undefined && (allow.has(k) || k.startsWith("LC_"))) env[k] = v;
  env.CUDA_VISIBLE_DEVICES = o.gpus.join(",");
  return env;
}

/**
 * One replica's child process: started, health-checked, restarted after a crash (up to
 * `maxRestarts`, on the same port when it is still free so the gateway's URL holds), drained
 * and stopped. A model that fails to load is not retried: it would fail the same way.
 */
export class ReplicaProcess {
  private child: ChildProcess | null = null;
  private restarts = 0;
  private port = 0;
  private isStopping = false;
  private readonly tail = new LogBuffer(4096);
  private readonly output: ReplicaOutputLog;

  constructor(private readonly o: ReplicaProcessOptions) {
    this.output = new ReplicaOutputLog(o.logger, {
      endpoint: o.config.endpoint,
      model: o.config.model,
      version: o.config.version,
    });
  }

  /**
   * Load + warm-up + health check must finish within this. A team's server gets its own
   * `serve.startup_timeout_s`, plus 10 s for the replica process itself and the warm-up probe (≤ 5 s).
   */
  private get startTimeoutMs(): number {
    const command = this.o.config.command;
    return command ? Math.max(this.o.startTimeoutMs, command.startupTimeoutS * 1000 + 10_000) : this.o.startTimeoutMs;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string | null {
    return this.port ? `http://${urlHost(this.o.config.host)}:${this.port}` : null;
  }

  start(): void {
    const env = replicaEnv(this.o);
    const child = fork(replicaMainPath(), [], {
      env,
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    this.child = child;
    const secret = this.o.config.secret;
    const keep = (chunk: Buffer) => {
      for (const line of redact(chunk.toString("utf8"), [secret]).split("\n")) {
        if (!line.trim()) continue;
        this.tail.push(line);
        this.output.push(line);
      }
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let failure: string | null = null;
    const timer = setTimeout(() => {
      failure = `the replica did not load and answer within ${this.startTimeoutMs} ms`;
      child.kill("SIGKILL");
    }, this.startTimeoutMs);
    child.on("message", (msg: ReplicaChildReport) => {
      if (msg.type === "failed") failure = this.failureOf(msg.reason);
      else if (msg.type === "listening")
        void this.checkHealth(msg.port).then((ok) => {
          clearTimeout(timer);
          if (ok) this.served(msg.port);
          else child.kill("SIGKILL");
        });
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      // A team's server outlives a replica process killed with SIGKILL: it goes with it.
      if (this.o.config.command) signalByCookie(this.o.config.command.cookie, "SIGKILL");
      if (this.child === child) this.child = null;
      this.exited(failure, code, signal);
    });
    const config: ReplicaChildConfig = {
      type: "config",
      ...this.o.config,
      gpus: this.o.gpus.length,
      port: this.port,
      ...(this.o.config.command ? { teamEnv: env } : {}),
    };
    child.send(config);
  }

  /** Why loading failed, for replica:ended; a team's server's last lines say more than our message. */
  private failureOf(reason: string): string {
    if (!this.o.config.command) return `the model could not be loaded: ${reason}`;
    const last = this.tail
      .lastLines(4)
      .filter((l) => !l.includes(reason))
      .join(" | ");
    return `the serve command failed: ${reason}${last ? `; its last output: ${last}` : ""}`;
  }

  private served(port: number): void {
    const moved = port !== this.port;
    this.port = port;
    if (moved || this.restarts === 0) this.o.onReady(this.url!);
  }

  private async checkHealth(port: number): Promise<boolean> {
    try {
      const res = await fetch(`http://${urlHost(this.o.config.host)}:${port}/ping`, {
        headers: { authorization: `Bearer ${this.o.config.secret}` },
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  private exited(failure: string | null, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.isStopping) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const lastLines = this.tail.lastLines(3).join(" | ");
    if (failure) return this.o.onFailed(failure);
    if (this.restarts >= this.o.maxRestarts)
      return this.o.onFailed(`the replica ${how}, after ${this.restarts} restarts${lastLines ? `: ${lastLines}` : ""}`);
    this.restarts++;
    this.o.logger.warn("replica crashed; restarting it", { how, restart: this.restarts, endpoint: this.o.config.endpoint });
    setTimeout(() => !this.isStopping && this.start(), 200 * 2 ** (this.restarts - 1));
  }

  /** Drain (in-flight requests get up to graceMs), then SIGKILL whatever is left. Resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.isStopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    if (child.connected) child.send({ type: "drain", graceMs });
    else child.kill("SIGKILL");
    const killer = setTimeout(() => child.kill("SIGKILL"), graceMs + (this.o.config.command?.stopGraceMs ?? 0) + 1_000);
    await gone;
    clearTimeout(killer);
  }

  /** At once, no drain (the lease is no longer ours, or the agent is going). */
  kill(): void {
    this.isStopping = true;
    this.child?.kill("SIGKILL");
  }
}

/** An IPv6 literal needs brackets in a URL. */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

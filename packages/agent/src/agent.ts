import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import {
  AGENT_NAMESPACE,
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_KILL_GRACE_MS,
  PROTOCOL_VERSION,
  ZCompleteAck,
  ZHeartbeatAck,
  ZMetricAck,
  ZRegisterAck,
  ZTrialLease,
  ZTrialSignal,
  type AgentToServerEvents,
  type Logger,
  type ServerToAgentEvents,
  type TGpu,
  type TLeaseAck,
  type TLeaseRef,
  type TMetricValues,
  type TSignalAck,
  type TTrialComplete,
} from "@autoglm/protocol";
import { builtinRunnerPath, stageBuiltinRuntime, type BuiltinRuntime } from "./builtin-runtime.js";
import { describeMachine, detectGpus, readGpuUse } from "./system.js";
import { AccessChecker, commandNeeds, describeNoAccess, type AccessNeed } from "./trial-access.js";
import { FENCED_MARKER, TrialRun, type StopReason } from "./trial-runner.js";
import { agentUser, defaultTrialUser, describeUser, type TrialUser } from "./trial-user.js";

export interface AgentOptions {
  /** The server's base URL, e.g. http://127.0.0.1:3000 (the agent connects to its /agents namespace). */
  server: string;
  /** An API token with the `agent` scope. Sent only in the Socket.IO handshake's `auth`. */
  token: string;
  /** Unique per team; default the host name. */
  name?: string;
  labels?: Record<string, string>;
  /** Trials run at once; default the GPU count, at least 1. */
  maxTrials?: number;
  /** GPUs to offer instead of asking nvidia-smi (tests, or to reserve some). */
  gpus?: TGpu[];
  nvidiaSmi?: string;
  /** Heartbeat period H (ms); the server's register ack may set it. Default 5 s. */
  heartbeatMs?: number;
  /** SIGTERM → SIGKILL grace when a trial is pruned or stopped (ms). Default 30 s (W&B KILL_DELAY). */
  killGraceMs?: number;
  /** On the agent's own SIGTERM: how long trials get to checkpoint before SIGKILL (ms). Default 10 s (R10). */
  shutdownGraceMs?: number;
  ackTimeoutMs?: number;
  /** Intermediate values are batched this long before being sent (ms). Default 100 ms (R9 budget 1 s). */
  metricFlushMs?: number;
  /** Bytes of each trial's log kept for the dashboard. Default 64 KiB. */
  logLimitBytes?: number;
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Where trial output directories live (`<workDir>/trials/<trialId>/attempt-<n>`). */
  workDir?: string;
  /** Default working directory of trials (run.workdir is resolved against it). Default process.cwd(). */
  cwd?: string;
  /** Extra variable names passed through to trials besides DEFAULT_ENV_ALLOWLIST. */
  envAllowlist?: string[];
  /**
   * The user trials run as. Default: the agent's own user, except that an agent running as
   * root runs trials as `nobody` (65534) — S8: trials never run as uid 0. `null` keeps root.
   * Another user than the agent's needs a root agent. What a trial needs (its working
   * directory, its script, the builtin runner, the work dir) is checked to be reachable by
   * this user at start and at each lease (trial-access.ts).
   */
  runAs?: TrialUser | null;
  /**
   * Where the builtin trainers' runtime is staged (builtin-runtime.ts); default
   * `<tmpdir>/autoglm-runtime-<uid>`. Must be reachable by the trial user.
   */
  runtimeDir?: string;
  logger?: Logger;
  /** The environment trials inherit allowlisted variables from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningTrialInfo {
  trialId: string;
  attempt: number;
  leaseToken: string;
  pid: number | undefined;
  gpus: number[];
  outputDir: string;
  stopReason: StopReason | null;
}

export interface RunningAgent {
  /** Resolves once the agent has registered the first time. */
  readonly registered: Promise<string>;
  agentId(): string | null;
  isConnected(): boolean;
  trials(): RunningTrialInfo[];
  /** Agent events for tests and the CLI: "registered", "lease", "trial-exit", "stale", "prune", "disconnect". */
  events: EventEmitter;
  /**
   * Graceful shutdown (R10): accept no new trials, SIGTERM the running ones, give them
   * `shutdownGraceMs` to checkpoint, hand them back (no attempt spent), then disconnect.
   */
  stop(): Promise<void>;
}

/** One line per event, timestamped: an agent's log is read after the fact, beside the server's. */
const line = (m: string, f?: Record<string, unknown>) =>
  `${new Date().toISOString()} [agent] ${m}${f ? ` ${JSON.stringify(f)}` : ""}`;
const consoleLogger: Logger = {
  info: (m, f) => console.log(line(m, f)),
  warn: (m, f) => console.warn(line(m, f)),
  error: (m, f) => console.error(line(m, f)),
};

type Outbound = { event: "trial:metric" | "trial:complete"; payload: Record<string, unknown> };

interface TrialSlot {
  run: TrialRun;
  seq: number;
  outbox: Promise<void>;
  /** Completion acknowledged (or fenced): the slot can be freed. */
  done: boolean;
  /** How the process ended, once it has (the queued completion's outcome). */
  outcome?: TTrialComplete["outcome"] | "none";
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const logger = options.logger ?? consoleLogger;
  const machine = describeMachine();
  const gpus = options.gpus ?? (await detectGpus(options.nvidiaSmi));
  const maxTrials = options.maxTrials ?? Math.max(1, gpus.length);
  const name = (options.name ?? machine.host).replace(/[^A-Za-z0-9_.:@-]/g, "-").slice(0, 100);
  const ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  const workDir = path.resolve(options.workDir ?? path.join(process.cwd(), ".autoglm-agent"));
  const trialsDir = path.join(workDir, "trials");
  mkdirSync(trialsDir, { recursive: true });
  const runAs = options.runAs === undefined ? defaultTrialUser() : options.runAs;
  const self = agentUser();
  const otherUser = runAs !== null && (self === null || runAs.uid !== self.uid || runAs.gid !== self.gid);
  // Output directories are chowned to the trial user inside trials/: it must be able to pass
  // through it whatever the umask was (a 077 umask made it 0700).
  if (otherUser && (statSync(trialsDir).mode & 0o011) !== 0o011) chmodSync(trialsDir, 0o755);
  const checker = otherUser ? new AccessChecker(runAs!) : null;
  const agentCwd = options.cwd ?? process.cwd();
  let runtime: BuiltinRuntime | null = null;
  /** The staged builtin runner, staged again if something removed it since. */
  const builtinRunner = (): string => {
    if (runtime && existsSync(runtime.runner)) return runtime.runner;
    try {
      runtime = stageBuiltinRuntime(options.runtimeDir ? { base: options.runtimeDir } : {});
    } catch (err) {
      // The trial's own "cannot load" error then says what is missing.
      logger.warn("could not stage the builtin trainers' runtime", { error: String(err) });
      const runner = builtinRunnerPath();
      runtime = { runner, files: [runner], dir: null };
    }
    return runtime.runner;
  };
  const workDirNeed: AccessNeed = {
    path: trialsDir,
    mode: "x",
    what: "the agent's work dir, where trial output directories are made",
  };
  const builtinNeeds = (): AccessNeed[] => {
    builtinRunner();
    return [
      { path: process.execPath, mode: "x", what: "the Node.js binary that runs builtin trainers" },
      ...(runtime?.files ?? []).map((f): AccessNeed => ({ path: f, mode: "r", what: "the builtin trainers' runtime" })),
    ];
  };
  const cwdNeed = (workdir: string): AccessNeed => ({
    path: workdir,
    probe: ".",
    mode: "x",
    what: "the trial's working directory (run.workdir, else the agent's current directory)",
  });
  /** TrialRun asks this just before it starts a process. */
  const accessProblem = ({ command, workdir }: { command: string | null; workdir: string }): string | null => {
    if (!checker) return null;
    const needs =
      command === null ? [workDirNeed, ...builtinNeeds()] : [workDirNeed, cwdNeed(workdir), ...commandNeeds(command, workdir)];
    const missing = checker.unreachable(needs, workdir);
    return missing.length > 0 ? describeNoAccess(runAs!, missing) : null;
  };
  if (checker) {
    // One warning at start naming what trials will not reach, rather than a failure per trial.
    const missing = checker.unreachable([workDirNeed, cwdNeed(agentCwd), ...builtinNeeds()], agentCwd);
    logger.info("trials run as another user", { user: describeUser(runAs!) });
    if (missing.length > 0) {
      logger.warn(`${describeNoAccess(runAs!, missing)} Trials that need these fail with AGENT_TRIAL_USER_NO_ACCESS.`, {
        unreachable: missing.map((m) => m.path),
      });
    }
  } else {
    builtinRunner();
  }
  let heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;

  const events = new EventEmitter();
  const slots = new Map<string, TrialSlot>();
  let agentId: string | null = null;
  let registeredOnce = false;
  let stopping = false;
  let heartbeatSeq = 0;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let resolveRegistered!: (id: string) => void;
  const registered = new Promise<string>((r) => (resolveRegistered = r));

  const url = options.server.replace(/\/+$/, "") + AGENT_NAMESPACE;
  const socket: Socket<ServerToAgentEvents, AgentToServerEvents> = io(url, {
    transports: ["websocket"],
    auth: { token: options.token },
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: options.reconnectDelayMs ?? 500,
    reconnectionDelayMax: options.reconnectDelayMaxMs ?? 5_000,
    randomizationFactor: 0.5,
    timeout: 10_000,
  });

  // --------------------------------------------------------------- reliable sends

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function waitConnected(): Promise<void> {
    if (socket.connected && agentId && registeredNow) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (socket.connected && registeredNow) {
          events.off("registered", check);
          resolve();
        }
      };
      events.on("registered", check);
    });
  }
  let registeredNow = false;

  /**
   * emitWithAck with a timeout, retried until the server answers: Socket.IO acks are
   * at-most-once, so a lost ack is a resend, and the server's idempotency keys make the
   * resend harmless (R7). Gives up only when the agent is gone.
   */
  async function sendReliable(event: Outbound["event"], payload: Record<string, unknown>): Promise<unknown> {
    let delay = 200;
    for (;;) {
      await waitConnected();
      try {
        const ack = (await (socket.timeout(ackTimeoutMs) as unknown as Socket).emitWithAck(event, payload)) as {
          ok: boolean;
          error?: { code: string };
        };
        if (ack && ack.ok === false && (ack.error?.code === "INTERNAL" || ack.error?.code === "NOT_REGISTERED")) {
          await sleep(delay);
          delay = Math.min(delay * 2, 5_000);
          continue;
        }
        return ack;
      } catch {
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  function enqueue(slot: TrialSlot, out: Outbound, onAck: (ack: unknown) => void): void {
    slot.outbox = slot.outbox
      .then(async () => {
        if (slot.done) return;
        onAck(await sendReliable(out.event, out.payload));
      })
      .catch((err) => logger.error("send failed", { event: out.event, error: String(err) }));
  }

  function leaseRef(run: TrialRun): TLeaseRef {
    return { trialId: run.lease.trialId, attempt: run.lease.attempt, leaseToken: run.lease.leaseToken };
  }

  // --------------------------------------------------------------- trials

  function freeGpus(): number[] {
    const used = new Set<number>();
    // An exited process frees its GPUs at once, even while its completion is being acknowledged.
    for (const s of slots.values()) if (!s.run.exited) for (const g of s.run.gpus) used.add(g);
    return gpus.map((g) => g.index).filter((i) => !used.has(i));
  }

  /** Processes still running; the server may lease again as soon as it has stored a completion. */
  function busySlots(): number {
    let n = 0;
    for (const s of slots.values()) if (!s.run.exited) n++;
    return n;
  }

  function onPoints(run: TrialRun, points: Array<{ step: number; metrics: TMetricValues }>): void {
    const slot = slots.get(run.lease.trialId);
    if (!slot || slot.run !== run) return;
    for (let i = 0; i < points.length; i += 1000) {
      const payload = { v: PROTOCOL_VERSION, ...leaseRef(run), seq: slot.seq++, points: points.slice(i, i + 1000) };
      enqueue(slot, { event: "trial:metric", payload }, (ack) => {
        const parsed = ZMetricAck.safeParse(ack);
        if (!parsed.success) return;
        if (parsed.data.ok) {
          if (parsed.data.prune) {
            events.emit("prune", run.lease.trialId);
            run.stop("prune");
          }
        } else if (parsed.data.error.code === "STALE_LEASE") {
          staleTrial(run, "metric");
        } else {
          logger.warn("metrics rejected", { trialId: run.lease.trialId, error: parsed.data.error });
        }
      });
    }
  }

  /** This attempt's results were refused: a later attempt here must not resume from its checkpoint (FENCED_MARKER). */
  function markFenced(run: TrialRun): void {
    try {
      writeFileSync(path.join(run.outputDir, FENCED_MARKER), "the server no longer leased this attempt\n");
    } catch {
      /* no output directory (the process never started) */
    }
  }

  function staleTrial(run: TrialRun, via: string): void {
    const slot = slots.get(run.lease.trialId);
    if (!slot || slot.run !== run) return;
    // Already being stopped on the server's word (pruned, stopped): the server ended the
    // attempt, so "stale" is expected; the completion still carries the log tail.
    if (run.stopReason && run.stopReason !== "stale") return;
    events.emit("stale", run.lease.trialId, via);
    // An exited run's completion is already queued; the server's answer releases the slot.
    if (run.exited) return;
    // Still running, yet the server ended it without asking us (lease lapsed while we were cut
    // off, or a lease it never saw us accept): fenced.
    markFenced(run);
    logger.warn("the server no longer leases this trial to us; stopping it", {
      trialId: run.lease.trialId,
      attempt: run.lease.attempt,
      via,
    });
    // Another agent holds the trial now (R2): stop ours at once, report nothing.
    run.stop("stale", Math.min(killGraceMs, 2_000));
  }

  function onExit(run: TrialRun, outcome: Omit<TTrialComplete, "v" | "seq" | "trialId" | "attempt" | "leaseToken"> | null): void {
    const slot = slots.get(run.lease.trialId);
    if (!slot || slot.run !== run) return;
    slot.outcome = outcome?.outcome ?? "none";
    events.emit("trial-exit", { trialId: run.lease.trialId, outcome: outcome?.outcome ?? "stale", run });
    announceReady();
    if (!outcome) return release(slot);
    const payload = { v: PROTOCOL_VERSION, ...leaseRef(run), seq: slot.seq++, ...outcome };
    enqueue(slot, { event: "trial:complete", payload }, (ack) => {
      const parsed = ZCompleteAck.safeParse(ack);
      if (parsed.success && !parsed.data.ok) {
        if (parsed.data.error.code === "STALE_LEASE") markFenced(run);
        logger.warn("completion refused", { trialId: run.lease.trialId, error: parsed.data.error });
      }
      release(slot);
    });
  }

  function release(slot: TrialSlot): void {
    if (slot.done) return;
    slot.done = true;
    if (slots.get(slot.run.lease.trialId) === slot) slots.delete(slot.run.lease.trialId);
    events.emit("released", slot.run.lease.trialId);
    announceReady();
  }

  /** Doorbell: capacity freed (a process exited or a slot was released). */
  function announceReady(): void {
    if (!stopping && socket.connected && registeredNow && busySlots() < maxTrials) {
      socket.emit("agent:ready", { v: PROTOCOL_VERSION, freeSlots: Math.max(0, maxTrials - busySlots()) }, () => {});
    }
  }

  socket.on("trial:lease", (payload: unknown, ack: (r: TLeaseAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZTrialLease.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: parsed.error.message.slice(0, 500) } });
    const lease = parsed.data;
    const existing = slots.get(lease.trialId);
    if (existing && existing.run.lease.leaseToken === lease.leaseToken) return reply({ ok: true, accepted: true });
    if (stopping) return reply({ ok: true, accepted: false, reason: "the agent is shutting down" });
    if (existing && !existing.run.exited) {
      return reply({ ok: true, accepted: false, reason: "the agent is still running another attempt of this trial" });
    }
    // The old attempt's process is gone and the server has re-leased the trial, so it has
    // settled that attempt: drop our pending report of it. Had the server accepted a
    // complete / pruned / stopped report, it would never re-lease the trial: it refused it
    // (the lease lapsed meanwhile), so that attempt is fenced and not resumed from (R8).
    if (existing) {
      if (
        !existing.done &&
        (existing.outcome === "complete" || existing.outcome === "pruned" || existing.outcome === "stopped")
      ) {
        markFenced(existing.run);
      }
      release(existing);
    }
    if (busySlots() >= maxTrials) return reply({ ok: true, accepted: false, reason: "no free trial slot" });
    const free = freeGpus();
    if (free.length < lease.run.resources.gpus) return reply({ ok: true, accepted: false, reason: "not enough free GPUs" });
    const assigned = free.slice(0, lease.run.resources.gpus);
    const run = new TrialRun(lease, {
      workDir,
      agentEnv: options.env ?? process.env,
      envAllowlist: options.envAllowlist ?? [],
      gpus: assigned,
      killGraceMs,
      logLimitBytes: options.logLimitBytes ?? 64 * 1024,
      metricFlushMs: options.metricFlushMs ?? 100,
      runAs,
      secrets: [options.token],
      cwd: agentCwd,
      builtinRunner,
      accessProblem,
      onPoints,
      onExit,
      log: (m, f) => logger.info(m, f),
    });
    const slot: TrialSlot = { run, seq: 0, outbox: Promise.resolve(), done: false };
    slots.set(lease.trialId, slot);
    reply({ ok: true, accepted: true });
    events.emit("lease", lease);
    logger.info("trial started", { trialId: lease.trialId, number: lease.number, attempt: lease.attempt, gpus: assigned });
    run.start();
  });

  const onSignal = (kind: "prune" | "stop") => (payload: unknown, ack?: (r: TSignalAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZTrialSignal.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: "malformed signal" } });
    const slot = slots.get(parsed.data.trialId);
    if (!slot || slot.run.lease.leaseToken !== parsed.data.leaseToken) return reply({ ok: true, known: false });
    events.emit(kind, parsed.data.trialId);
    slot.run.stop(kind);
    reply({ ok: true, known: true });
  };
  socket.on("trial:prune", onSignal("prune"));
  socket.on("trial:stop", onSignal("stop"));

  // --------------------------------------------------------------- registration, heartbeat

  function runningRefs(): TLeaseRef[] {
    return [...slots.values()].filter((s) => !s.done).map((s) => leaseRef(s.run));
  }

  /**
   * Stale ids answer the refs we SENT: match on the token too, or a heartbeat that carried
   * attempt 1 (finished meanwhile) would kill attempt 2 of the same trial leased since.
   */
  function killStale(ids: string[], sent: TLeaseRef[], via: string): void {
    const tokenOf = new Map(sent.map((r) => [r.trialId, r.leaseToken]));
    for (const id of ids) {
      const slot = slots.get(id);
      if (slot && slot.run.lease.leaseToken === tokenOf.get(id)) staleTrial(slot.run, via);
    }
  }

  async function register(): Promise<void> {
    registeredNow = false;
    let delay = 200;
    while (socket.connected && !stopping) {
      try {
        const sent = runningRefs();
        const ack = await socket.timeout(ackTimeoutMs).emitWithAck("agent:register", {
          v: PROTOCOL_VERSION,
          name,
          host: machine.host,
          cpuCores: machine.cpuCores,
          memoryMb: machine.memoryMb,
          gpus,
          labels: options.labels ?? {},
          maxTrials,
          agentVersion: "0.1.0",
          running: sent,
        });
        const parsed = ZRegisterAck.safeParse(ack);
        if (parsed.success && parsed.data.ok) {
          agentId = parsed.data.agentId;
          heartbeatMs = options.heartbeatMs ?? parsed.data.heartbeatMs;
          registeredNow = true;
          killStale(parsed.data.stale, sent, "register");
          if (!registeredOnce) {
            registeredOnce = true;
            resolveRegistered(agentId);
          }
          logger.info("registered", { agentId, name, gpus: gpus.length, maxTrials });
          events.emit("registered", agentId);
          scheduleHeartbeat();
          return;
        }
        logger.warn("registration refused", { error: parsed.success && !parsed.data.ok ? parsed.data.error : "malformed ack" });
      } catch {
        /* timeout: retry */
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  function scheduleHeartbeat(): void {
    if (heartbeatTimer) clearTimeout(heartbeatTimer);
    heartbeatTimer = setTimeout(async () => {
      heartbeatTimer = null;
      if (!socket.connected || !registeredNow) return;
      try {
        const sent = runningRefs();
        // Only real GPUs are asked about (offered ones in tests have no nvidia-smi behind them).
        const gpuUse = gpus.length > 0 && !options.gpus ? await readGpuUse(options.nvidiaSmi) : [];
        const ack = await socket.timeout(Math.min(ackTimeoutMs, heartbeatMs * 2)).emitWithAck("agent:heartbeat", {
          v: PROTOCOL_VERSION,
          seq: heartbeatSeq++,
          running: sent,
          ...(gpuUse.length > 0 ? { gpuUse } : {}),
        });
        const parsed = ZHeartbeatAck.safeParse(ack);
        if (parsed.success && parsed.data.ok) killStale(parsed.data.stale, sent, "heartbeat");
      } catch {
        /* a missed heartbeat; the lease TTL allows for two */
      }
      if (socket.connected && registeredNow) scheduleHeartbeat();
    }, heartbeatMs);
  }

  socket.on("connect", () => {
    logger.info("connected", { server: options.server });
    void register();
  });
  socket.on("disconnect", (reason) => {
    registeredNow = false;
    events.emit("disconnect", reason);
    logger.warn("disconnected", { reason });
    // The server closed the connection on purpose (restart): reconnect ourselves.
    if (reason === "io server disconnect" && !stopping) setTimeout(() => socket.connect(), 500);
  });
  let connectErrors = 0;
  socket.on("connect_error", (err) => {
    connectErrors++;
    // The token was revoked or expired: no result of ours will be accepted any more, so the
    // running trials only burn GPUs. Stop them (their leases lapse and are re-leased).
    if (err.message === "unauthorized") {
      for (const s of slots.values()) if (!s.run.exited) s.run.stop("stale", Math.min(killGraceMs, 2_000));
    }
    if (connectErrors === 1 || connectErrors % 20 === 0)
      logger.warn("cannot connect", { error: err.message, tries: connectErrors });
    // A middleware refusal (token check failed, database down) stops Socket.IO's own retries;
    // an agent reconnects forever, with backoff.
    if (!socket.active && !stopping) {
      // "unavailable" is the server's own trouble (its database is down, R5), not ours: retry
      // at the normal reconnect pace. The 30 s cap once made an agent whose connection dropped
      // during a database outage come back up to 30 s after the database did — long after its
      // leases (T = 15 s) had lapsed. A refused token ("unauthorized") still backs off to 30 s.
      const cap = err.message === "unavailable" ? (options.reconnectDelayMaxMs ?? 5_000) : 30_000;
      const wait = Math.min(cap, 1_000 * 2 ** Math.min(5, connectErrors));
      setTimeout(() => {
        if (!stopping && !socket.connected) socket.connect();
      }, wait);
    }
  });
  socket.on("connect", () => (connectErrors = 0));

  /**
   * Pause watchdog (R2): a process stopped (SIGSTOP, VM freeze, swap storm) for longer than
   * half a lease may have lost its leases meanwhile. On waking it reconnects at once, so the
   * re-registration tells it which trials are stale and their children die within
   * milliseconds instead of after Socket.IO notices the dead connection.
   */
  let lastTick = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    const gap = now - lastTick;
    lastTick = now;
    if (gap > Math.max(1_000, heartbeatMs) && !stopping && slots.size > 0) {
      logger.warn("the agent was paused; re-registering to check its leases", { pausedMs: gap });
      registeredNow = false;
      socket.disconnect();
      socket.connect();
    }
  }, 100);
  watchdog.unref();

  return {
    registered,
    agentId: () => agentId,
    isConnected: () => socket.connected && registeredNow,
    trials: () =>
      [...slots.values()].map((s) => ({
        trialId: s.run.lease.trialId,
        attempt: s.run.lease.attempt,
        leaseToken: s.run.lease.leaseToken,
        pid: s.run.pid,
        gpus: s.run.gpus,
        outputDir: s.run.outputDir,
        stopReason: s.run.stopReason,
      })),
    events,
    async stop() {
      if (stopping) return;
      stopping = true;
      // Tell the server we are draining before handing trials back, so it does not offer
      // them (or anything else) to us again while we finish.
      if (socket.connected && registeredNow) {
        await socket
          .timeout(ackTimeoutMs)
          .emitWithAck("agent:ready", { v: PROTOCOL_VERSION, freeSlots: 0 })
          .catch(() => undefined);
      }
      const pending = [...slots.values()];
      for (const s of pending) s.run.stop("shutdown", Math.min(killGraceMs, shutdownGraceMs));
      // Wait for the processes to exit and the hand-backs to be acknowledged, bounded.
      const deadline = sleep(shutdownGraceMs + ackTimeoutMs + 2_000);
      const settled = Promise.all(
        pending.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.done) return resolve();
              const check = (id: string) => {
                if (id === s.run.lease.trialId && s.done) {
                  events.off("released", check);
                  resolve();
                }
              };
              events.on("released", check);
            }),
        ),
      );
      await Promise.race([settled, deadline]);
      if (heartbeatTimer) clearTimeout(heartbeatTimer);
      clearInterval(watchdog);
      socket.disconnect();
      logger.info("stopped", { handedBack: pending.length });
    },
  };
}

/** A stable default name for tests that start several agents on one host. */
export function randomAgentName(prefix = "agent"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

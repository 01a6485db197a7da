import { randomUUID } from "node:crypto";
import { chownSync, lstatSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  PROTOCOL_VERSION,
  ZReplicaAck,
  ZReplicaStart,
  ZReplicaStop,
  type TReplicaAck,
  type TReplicaEnded,
  type TReplicaRef,
  type TReplicaStart,
  type TReplicaStartAck,
} from "@autoglm/protocol";
import type { AgentCore } from "../agent-core.js";
import type { AgentPart } from "../agent-part.js";
import { sleep } from "../connection.js";
import { agentUser, type TrialUser } from "../trial-user.js";
import { downloadReplicaFiles, ReplicaRefused } from "./replica-files.js";
import type { ReplicaChildCommand } from "./replica-messages.js";
import { ReplicaProcess } from "./replica-process.js";
import { isLoadableFlavor } from "./model-loader.js";

/** Crashes of one replica restarted before it is given up (the figure). */
const MAX_RESTARTS = 3;
/** A replica the server calls stale gets no traffic any more; its in-flight requests take milliseconds. */
const STALE_DRAIN_MS = 5_000;

export interface RunningReplicaInfo {
  replicaId: string;
  leaseToken: string;
  endpoint: string;
  model: string;
  version: number;
  gpus: number[];
  pid: number | undefined;
  /** Where it serves, once ready. */
  url: string | null;
}

interface Replica {
  start: TReplicaStart;
  gpus: number[];
  dir: string | null;
  process: ReplicaProcess | null;
  /** Aborts the file download when the replica is stopped while it is still fetching. */
  abort: AbortController;
  ended: boolean;
  /** Drops it from the part's table once the server has heard the end. */
  forget(): void;
}

export interface ServingPart extends AgentPart {
  info(): RunningReplicaInfo[];
}

/**
 * The serving part: answers replica:start (room in the slot table, download and check the
 * files, start the child, replica:ready) and replica:stop (drain, replica:ended stopped),
 * reports its replicas in register/heartbeat, stops the ones the server calls stale, and
 * stops them all when the agent shuts down.
 */
export function servingReplicas(core: AgentCore): ServingPart {
  const replicas = new Map<string, Replica>();
  core.connection.socket.on("replica:start", (payload: unknown, ack: (r: TReplicaStartAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZReplicaStart.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: parsed.error.message.slice(0, 500) } });
    const start = parsed.data;
    const existing = replicas.get(start.replicaId);
    if (existing && existing.start.leaseToken === start.leaseToken) return reply({ ok: true, accepted: true });
    const decline = roomFor(core, start, existing);
    if (typeof decline === "string") return reply({ ok: true, accepted: false, reason: decline });
    const replica: Replica = {
      start,
      gpus: decline.gpus,
      dir: null,
      process: null,
      abort: new AbortController(),
      ended: false,
      forget: () => replicas.get(start.replicaId) === replica && replicas.delete(start.replicaId),
    };
    replicas.set(start.replicaId, replica);
    core.slots.reserveForReplica(start.replicaId, replica.gpus);
    reply({ ok: true, accepted: true });
    core.logger.info("replica starting", { replicaId: start.replicaId, endpoint: start.endpoint.name, gpus: replica.gpus });
    void launch(core, replica);
  });
  core.connection.socket.on("replica:stop", (payload: unknown, ack: (r: TReplicaAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZReplicaStop.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: parsed.error.message.slice(0, 500) } });
    const replica = replicas.get(parsed.data.replicaId);
    // A repeated stop (its ack was lost) finds the replica already draining: known, nothing more to do.
    const isOurs = !!replica && replica.start.leaseToken === parsed.data.leaseToken;
    reply({ ok: true, known: isOurs });
    if (isOurs) void stopReplica(core, replica, parsed.data.graceMs, "stopped", parsed.data.reason);
  });
  const live = () => [...replicas.values()].filter((r) => !r.ended);
  return {
    info: () => live().map(infoOf),
    heldReplicas: () => live().map((r) => ({ replicaId: r.start.replicaId, leaseToken: r.start.leaseToken })),
    dropStaleReplicas: (ids, sent, via) => dropStale(core, replicas, ids, sent, via),
    onTokenRefused: () => live().forEach((r) => discard(core, r)),
    drain: async () => {
      const all = live();
      const grace = Math.min(core.settings.killGraceMs, core.settings.shutdownGraceMs);
      await Promise.all(
        all.map((r) => stopReplica(core, r, grace, "stopped", "the agent is shutting down", core.settings.ackTimeoutMs)),
      );
      return all.length;
    },
    close: () => live().forEach((r) => discard(core, r)),
  };
}

/** GPUs for the replica, or why it does not fit here (accepted: false: the server places it elsewhere). */
function roomFor(core: AgentCore, start: TReplicaStart, existing: Replica | undefined): { gpus: number[] } | string {
  if (core.isStopping()) return "the agent is shutting down";
  if (existing && !existing.ended) return "the agent is still running another lease of this replica";
  const want = start.resources.gpus;
  if (want === 0) return { gpus: [] };
  if (core.slots.busy() >= core.slots.maxTrials) return "no free slot";
  const free = core.slots.freeGpus();
  if (free.length < want) return "not enough free GPUs";
  return { gpus: free.slice(0, want) };
}

function infoOf(r: Replica): RunningReplicaInfo {
  const { start } = r;
  return {
    replicaId: start.replicaId,
    leaseToken: start.leaseToken,
    endpoint: start.endpoint.name,
    model: start.model.name,
    version: start.model.version,
    gpus: r.gpus,
    pid: r.process?.pid,
    url: r.process?.url ?? null,
  };
}

/** fetch's "fetch failed" hides why: the cause's code (ECONNREFUSED, …) says it. */
function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : String(e.message ?? err);
}

/** Fetch and check the files, then start the child; every failure ends the replica with a reason. */
async function launch(core: AgentCore, replica: Replica): Promise<void> {
  const { start } = replica;
  const flavor = start.model.flavor;
  if (flavor !== "command" && !isLoadableFlavor(flavor))
    return end(core, replica, "failed", `flavor ${flavor} is not served by this agent yet`);
  if (flavor === "command" && !start.model.serve)
    return end(core, replica, "failed", `flavor command needs the version's serve command, and replica:start carried none`);
  try {
    replica.dir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-"));
    const { server, token } = core.settings;
    await downloadReplicaFiles(
      {
        server,
        token,
        replicaId: start.replicaId,
        leaseToken: start.leaseToken,
        files: start.model.files,
        digest: start.model.digest,
        signal: replica.abort.signal,
      },
      replica.dir,
    );
    if (flavor === "command") handFilesTo(core.launcher.runAs, replica.dir);
  } catch (err) {
    if (replica.ended) return;
    return end(
      core,
      replica,
      "failed",
      err instanceof ReplicaRefused
        ? `refused to load ${start.model.name} version ${start.model.version}: ${err.message}`
        : `could not fetch the files of ${start.model.name} version ${start.model.version}: ${describeFetchError(err)}`,
    );
  }
  if (replica.ended) return;
  replica.process = new ReplicaProcess({
    config: {
      modelDir: replica.dir,
      flavor,
      ...(start.model.serve ? { command: commandOf(core, start.model.serve) } : {}),
      endpoint: start.endpoint.name,
      model: start.model.name,
      version: start.model.version,
      secret: start.secret,
      host: core.settings.serveHost,
    },
    gpus: replica.gpus,
    agentEnv: core.settings.agentEnv,
    envAllowlist: core.settings.envAllowlist,
    logger: core.logger,
    maxRestarts: MAX_RESTARTS,
    startTimeoutMs: core.settings.replicaStartTimeoutMs,
    onReady: (url) => void announceReady(core, replica, url),
    onFailed: (reason) => void end(core, replica, "failed", reason),
  });
  replica.process.start();
}

/** A team's server stops like a trial: SIGTERM, then SIGKILL after the agent's kill grace, here at most 5 s (its requests have drained by then). */
const TEAM_SERVER_STOP_GRACE_MS = 5_000;

function commandOf(core: AgentCore, serve: NonNullable<TReplicaStart["model"]["serve"]>): ReplicaChildCommand {
  return {
    ...serve,
    runAs: core.launcher.runAs,
    cookie: randomUUID(),
    stopGraceMs: Math.min(core.settings.killGraceMs, TEAM_SERVER_STOP_GRACE_MS),
  };
}

/**
 * The team's server runs as the trial user (nobody under a root agent, S8): the files'
 * directory (mode 0700, the agent's) becomes that user's, so it can read its model and write
 * beside it, and nothing else of the agent's.
 */
function handFilesTo(user: TrialUser | null, dir: string): void {
  const self = agentUser();
  if (!user || (self && self.uid === user.uid && self.gid === user.gid)) return;
  const walk = (p: string) => {
    chownSync(p, user.uid, user.gid);
    if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
}

async function announceReady(core: AgentCore, replica: Replica, url: string): Promise<void> {
  const { replicaId, leaseToken } = replica.start;
  core.logger.info("replica ready", { replicaId, endpoint: replica.start.endpoint.name, url });
  core.events.emit("replica-ready", replicaId, url);
  const ack = ZReplicaAck.safeParse(
    await core.connection.sendReliable("replica:ready", { v: PROTOCOL_VERSION, replicaId, leaseToken, url, gpus: replica.gpus }),
  );
  // The server no longer leases it to us (moved on while it loaded): serve nobody.
  if (ack.success && ack.data.ok && !ack.data.known) discard(core, replica);
}

/** Drain and stop the child, then report (bounded by `reportWithinMs` on shutdown, when no reconnect will come). */
async function stopReplica(
  core: AgentCore,
  replica: Replica,
  graceMs: number,
  outcome: TReplicaEnded["outcome"],
  reason: string,
  reportWithinMs?: number,
): Promise<void> {
  if (replica.ended) return;
  replica.abort.abort();
  const report = end(core, replica, outcome, reason, graceMs);
  await (reportWithinMs === undefined ? report : Promise.race([report, sleep(reportWithinMs)]));
}

/** The replica is over: its process stopped, its files removed, its GPUs freed, the server told. */
async function end(
  core: AgentCore,
  replica: Replica,
  outcome: TReplicaEnded["outcome"],
  reason: string,
  graceMs = 0,
): Promise<void> {
  if (replica.ended) return;
  replica.ended = true;
  const { replicaId, leaseToken } = replica.start;
  await replica.process?.stop(graceMs);
  cleanUp(core, replica);
  core.events.emit("replica-ended", replicaId, outcome, reason);
  (outcome === "failed" ? core.logger.warn : core.logger.info)("replica ended", { replicaId, outcome, reason });
  const ended: TReplicaEnded = { v: PROTOCOL_VERSION, replicaId, leaseToken, outcome, reason: reason.slice(0, 2000) };
  await core.connection.sendReliable("replica:ended", ended);
  replica.forget();
}

function cleanUp(core: AgentCore, replica: Replica): void {
  core.slots.releaseReplica(replica.start.replicaId);
  if (replica.dir) rmSync(replica.dir, { recursive: true, force: true });
}

/** Killed without a report: the server already counts it gone (refused token, agent closing, an unknown ready). */
function discard(core: AgentCore, replica: Replica): void {
  if (replica.ended) return;
  replica.ended = true;
  replica.abort.abort();
  replica.process?.kill();
  cleanUp(core, replica);
  core.events.emit("replica-ended", replica.start.replicaId, "discarded", "the server no longer accepts it from this agent");
}

/**
 * Stale ids answer the refs we sent: match on the lease token too, as for trials. The server
 * also answers "stale" for a replica whose replica:stop was lost: traffic has already moved
 * off it, so it drains briefly (requests still in flight finish) and is reported stopped.
 */
function dropStale(core: AgentCore, replicas: Map<string, Replica>, ids: string[], sent: TReplicaRef[], via: string): void {
  const tokenOf = new Map(sent.map((r) => [r.replicaId, r.leaseToken]));
  for (const id of ids) {
    const replica = replicas.get(id);
    if (!replica || replica.ended || replica.start.leaseToken !== tokenOf.get(id)) continue;
    core.logger.warn("the server no longer leases this replica to us; stopping it", { replicaId: id, via });
    void stopReplica(
      core,
      replica,
      Math.min(core.settings.killGraceMs, STALE_DRAIN_MS),
      "stopped",
      "the server no longer leases it to this agent",
    );
  }
}

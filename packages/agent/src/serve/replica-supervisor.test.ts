import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { manifestDigest } from "@autoglm/protocol/model-manifest";
import {
  AGENT_NAMESPACE,
  PROTOCOL_VERSION,
  silentLogger,
  type TReplicaEnded,
  type TReplicaReady,
  type TReplicaStart,
  type TReplicaStartAck,
} from "@autoglm/protocol";
import { Server, type Namespace, type Socket } from "socket.io";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../agent.js";
import { cleanup, isAlive, waitFor } from "../testing/harness.js";
import { writeDigitsMlp } from "../testing/serve-fixtures.js";

/**
 * The agent's serving part against a real Socket.IO server that speaks the replica protocol
 * (replica:start / stop, replica:ready / ended, `replicas` in heartbeats, `staleReplicas` in
 * their acks) and serves the file route with node:http, a real agent and real replica
 * children (dist/serve/replica-main.js: build the package first).
 */

const TOKEN = "agl_test_agent_token";
let http: HttpServer;
let io: Server;
let nsp: Namespace;
let server: string;
let agent: RunningAgent;
let dir: string;
let row0: number[];
const files = new Map<string, Buffer>();
/** Bytes served instead of the real ones, by file name (a tampered store). */
const tampered = new Map<string, Buffer>();
/** Files whose transfer is cut after this many bytes, as the server cuts one whose stored bytes changed. */
const cutAfter = new Map<string, number>();
const fileRequests: Array<{ url: string; lease: string | undefined }> = [];
const readies: TReplicaReady[] = [];
const endeds: TReplicaEnded[] = [];
const heartbeats: Array<{ replicas?: Array<{ replicaId: string; leaseToken: string }> }> = [];
const registers: Array<{ replicas?: Array<{ replicaId: string; leaseToken: string }> }> = [];
const staleReplicaIds = new Set<string>();
const leases = new Map<string, string>();

function serveFile(req: IncomingMessage, res: ServerResponse): void {
  const m = /^\/agent\/replicas\/([^/]+)\/files\/(.+)$/.exec(req.url ?? "");
  fileRequests.push({ url: req.url ?? "", lease: req.headers["x-autoglm-lease"] as string | undefined });
  if (!m || req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end();
  if (leases.get(m[1]!) !== req.headers["x-autoglm-lease"]) return void res.writeHead(409).end();
  const name = decodeURIComponent(m[2]!);
  const body = tampered.get(name) ?? files.get(name);
  if (!body) return void res.writeHead(404).end();
  const cut = cutAfter.get(name);
  if (cut !== undefined) {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(body.length) });
    return void res.write(body.subarray(0, cut), () => res.destroy());
  }
  res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
}

function onAgent(socket: Socket): void {
  socket.on(
    "agent:register",
    (msg: (typeof registers)[number], ack: (r: unknown) => void) =>
      registers.push(msg) &&
      ack({
        ok: true,
        agentId: randomUUID(),
        orgId: randomUUID(),
        heartbeatMs: 200,
        leaseTtlMs: 3_000,
        stale: [],
        staleReplicas: [],
      }),
  );
  socket.on("agent:heartbeat", (msg: (typeof heartbeats)[number], ack: (r: unknown) => void) => {
    heartbeats.push(msg);
    const stale = (msg.replicas ?? []).filter((r) => staleReplicaIds.has(r.replicaId)).map((r) => r.replicaId);
    ack({ ok: true, stale: [], staleReplicas: stale });
  });
  socket.on("agent:ready", (_msg: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
  socket.on("replica:ready", (msg: TReplicaReady, ack: (r: unknown) => void) => {
    readies.push(msg);
    ack({ ok: true, known: true });
  });
  socket.on("replica:ended", (msg: TReplicaEnded, ack: (r: unknown) => void) => {
    endeds.push(msg);
    ack({ ok: true, known: true });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serving-"));
  const digits = await writeDigitsMlp(dir);
  row0 = Array.from(digits.x.subarray(0, 64));
  for (const name of readdirSync(dir)) files.set(name, readFileSync(path.join(dir, name)));
  http = createServer(serveFile);
  io = new Server(http, { serveClient: false });
  nsp = io.of(AGENT_NAMESPACE);
  nsp.use((socket, next) =>
    next((socket.handshake.auth as { token?: string }).token === TOKEN ? undefined : new Error("unauthorized")),
  );
  nsp.on("connection", onAgent);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  server = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  agent = await startAgent({
    server,
    token: TOKEN,
    gpus: [{ index: 0, model: "Test GPU", memoryMb: 1000 }],
    maxTrials: 1,
    heartbeatMs: 200,
    ackTimeoutMs: 1_000,
    killGraceMs: 2_000,
    shutdownGraceMs: 2_000,
    workDir: path.join(dir, "work"),
    logger: silentLogger,
  });
  await agent.registered;
});

afterAll(async () => {
  await agent?.stop();
  io?.close();
  http?.closeAllConnections();
  if (dir) cleanup(dir);
});

function startMessage(over: { gpus?: number; files?: TReplicaStart["model"]["files"]; digest?: string } = {}): TReplicaStart {
  const list = [...files].map(([name, b]) => ({ name, size: b.length, sha256: createHash("sha256").update(b).digest("hex") }));
  const fileList = over.files ?? list;
  const replicaId = randomUUID();
  const leaseToken = randomUUID();
  leases.set(replicaId, leaseToken);
  const digest = over.digest ?? manifestDigest(fileList.map((f) => ({ name: f.name, sizeBytes: f.size, sha256: f.sha256 })));
  return {
    v: PROTOCOL_VERSION,
    replicaId,
    leaseToken,
    endpoint: { id: randomUUID(), name: "digits" },
    model: { name: "digits-mlp", version: 2, versionId: randomUUID(), flavor: "builtin-mlp", digest, files: fileList },
    secret: randomBytes(24).toString("hex"),
    resources: { gpus: over.gpus ?? 0 } as TReplicaStart["resources"],
    leaseExpiresAt: new Date(Date.now() + 15_000).toISOString(),
  };
}

async function sendStart(msg: TReplicaStart): Promise<TReplicaStartAck> {
  const [socket] = await nsp.fetchSockets();
  return (await socket!.timeout(5_000).emitWithAck("replica:start", msg)) as TReplicaStartAck;
}

async function predict(url: string, secret: string): Promise<unknown> {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ inputs: [row0] }),
  });
  return res.json();
}

it("starts a replica on replica:start, reports it ready and in heartbeats, and drains it on replica:stop", async () => {
  const msg = startMessage();
  expect(await sendStart(msg)).toEqual({ ok: true, accepted: true });
  const ready = await waitFor(() => readies.find((r) => r.replicaId === msg.replicaId), 30_000, "replica:ready");
  expect(ready).toMatchObject({
    leaseToken: msg.leaseToken,
    gpus: [],
    url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
  });
  expect(fileRequests.every((f) => f.lease === leases.get(f.url.split("/")[3]!))).toBe(true);
  expect(await predict(ready.url, msg.secret)).toEqual({ predictions: [expect.any(Number)] });
  await waitFor(
    () => heartbeats.some((h) => h.replicas?.some((r) => r.replicaId === msg.replicaId && r.leaseToken === msg.leaseToken)),
    5_000,
    "a heartbeat with the replica",
  );
  const pid = agent.replicas().find((r) => r.replicaId === msg.replicaId)!.pid!;

  // A crashed child is restarted on its URL; the server hears nothing (no second ready, no end).
  process.kill(pid, "SIGKILL");
  await waitFor(
    async () => agent.replicas()[0]?.pid !== pid && (await predict(ready.url, msg.secret).catch(() => null)),
    30_000,
    "restarted",
  );
  expect(readies.filter((r) => r.replicaId === msg.replicaId)).toHaveLength(1);
  expect(endeds.some((e) => e.replicaId === msg.replicaId)).toBe(false);

  // Re-adopted on reconnect: agent:register carries the replica's lease.
  const [before] = await nsp.fetchSockets();
  const registered = registers.length;
  before!.disconnect();
  await waitFor(() => registers.length > registered, 10_000, "re-registration");
  expect(registers.at(-1)!.replicas).toEqual([{ replicaId: msg.replicaId, leaseToken: msg.leaseToken }]);
  await waitFor(() => agent.isConnected(), 5_000, "connected");

  const [socket] = await nsp.fetchSockets();
  const restartedPid = agent.replicas()[0]!.pid!;
  const stopAck = await socket!.timeout(5_000).emitWithAck("replica:stop", {
    v: PROTOCOL_VERSION,
    replicaId: msg.replicaId,
    leaseToken: msg.leaseToken,
    graceMs: 1_000,
    reason: "alias moved",
  });
  expect(stopAck).toEqual({ ok: true, known: true });
  const ended = await waitFor(() => endeds.find((e) => e.replicaId === msg.replicaId), 10_000, "replica:ended");
  expect(ended).toMatchObject({ outcome: "stopped", reason: "alias moved", leaseToken: msg.leaseToken });
  expect(isAlive(restartedPid)).toBe(false);
  expect(agent.replicas()).toEqual([]);
  await expect(fetch(`${ready.url}/ping`)).rejects.toThrow();
  // A stop for a lease the agent does not hold is answered "unknown" and changes nothing.
  expect(
    await socket!.timeout(5_000).emitWithAck("replica:stop", {
      v: PROTOCOL_VERSION,
      replicaId: msg.replicaId,
      leaseToken: randomUUID(),
      graceMs: 0,
      reason: "x",
    }),
  ).toEqual({ ok: true, known: false });
});

it("refuses a replica whose file does not match its SHA-256, naming the file, and one whose list does not match the digest", async () => {
  tampered.set("model.safetensors", Buffer.concat([files.get("model.safetensors")!.subarray(0, -1), Buffer.from([0])]));
  try {
    const msg = startMessage();
    expect(await sendStart(msg)).toEqual({ ok: true, accepted: true });
    const ended = await waitFor(() => endeds.find((e) => e.replicaId === msg.replicaId), 20_000, "replica:ended");
    expect(ended.outcome).toBe("failed");
    expect(ended.reason).toMatch(
      /refused to load digits-mlp version 2: file "model\.safetensors": \d+ B with SHA-256 [0-9a-f]{64} arrived; the registry has/,
    );
    expect(readies.some((r) => r.replicaId === msg.replicaId)).toBe(false);
  } finally {
    tampered.clear();
  }
  cutAfter.set("model.safetensors", 100);
  try {
    const msg = startMessage();
    await sendStart(msg);
    const ended = await waitFor(() => endeds.find((e) => e.replicaId === msg.replicaId), 20_000, "replica:ended");
    expect(ended.reason).toMatch(
      /^refused to load digits-mlp version 2: file "model\.safetensors": the download broke off after 100 of \d+ B \(the server stops sending a file whose stored bytes no longer match its SHA-256\)$/,
    );
  } finally {
    cutAfter.clear();
  }
  const forged = startMessage({ digest: "0".repeat(64) });
  await sendStart(forged);
  const ended = await waitFor(() => endeds.find((e) => e.replicaId === forged.replicaId), 20_000, "replica:ended");
  expect(ended.reason).toMatch(/the file list does not match the version's digest 0{64} \(it hashes to [0-9a-f]{64}\)/);
  expect(agent.replicas()).toEqual([]);
});

it("answers a malformed replica:start BAD_REQUEST, and ends a command version without its serve command failed, saying so", async () => {
  const [socket] = await nsp.fetchSockets();
  const bad = (await socket!
    .timeout(5_000)
    .emitWithAck("replica:start", { ...startMessage(), secret: "short" })) as TReplicaStartAck;
  expect(bad).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
  const command = startMessage();
  command.model.flavor = "command";
  expect(await sendStart(command)).toEqual({ ok: true, accepted: true });
  const ended = await waitFor(() => endeds.find((e) => e.replicaId === command.replicaId), 10_000, "replica:ended");
  expect(ended).toMatchObject({
    outcome: "failed",
    reason: "flavor command needs the version's serve command, and replica:start carried none",
  });
  expect(agent.replicas()).toEqual([]);
});

it("gives a GPU replica its GPU (CUDA_VISIBLE_DEVICES) and a trial slot, and declines one that does not fit", async () => {
  const msg = startMessage({ gpus: 1 });
  expect(await sendStart(msg)).toEqual({ ok: true, accepted: true });
  const ready = await waitFor(() => readies.find((r) => r.replicaId === msg.replicaId), 30_000, "replica:ready");
  expect(ready.gpus).toEqual([0]);
  const pid = agent.replicas()[0]!.pid!;
  expect(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")).toContain("CUDA_VISIBLE_DEVICES=0");
  expect(readFileSync(`/proc/${pid}/environ`, "utf8")).not.toContain(TOKEN);
  const second = await sendStart(startMessage({ gpus: 1 }));
  expect(second).toEqual({ ok: true, accepted: false, reason: "no free slot" });
  // A replica without GPUs takes no slot: it still fits.
  const cpu = startMessage();
  expect(await sendStart(cpu)).toEqual({ ok: true, accepted: true });
  await waitFor(() => readies.find((r) => r.replicaId === cpu.replicaId), 30_000, "cpu replica ready");

  // The server calls both stale in a heartbeat ack (a lapsed lease, or a lost replica:stop): drained and reported stopped.
  staleReplicaIds.add(msg.replicaId).add(cpu.replicaId);
  await waitFor(() => agent.replicas().length === 0, 10_000, "stale replicas stopped");
  await waitFor(() => !isAlive(pid), 5_000, "the GPU replica's process gone");
  const ended = await waitFor(
    () => endeds.filter((e) => e.replicaId === msg.replicaId || e.replicaId === cpu.replicaId).length === 2 && endeds,
    5_000,
    "both ended",
  );
  expect(ended.find((e) => e.replicaId === msg.replicaId)).toMatchObject({
    outcome: "stopped",
    reason: "the server no longer leases it to this agent",
  });
  // Its GPU is free again.
  expect(await sendStart(startMessage({ gpus: 1 }))).toEqual({ ok: true, accepted: true });
});

it("stops its replicas and reports them ended when the agent shuts down", async () => {
  const running = await waitFor(() => agent.replicas().find((r) => r.url !== null), 30_000, "a ready replica");
  await agent.stop();
  expect(endeds.find((e) => e.replicaId === running.replicaId)).toMatchObject({
    outcome: "stopped",
    reason: "the agent is shutting down",
  });
  expect(isAlive(running.pid!)).toBe(false);
});

import { randomUUID } from "node:crypto";
import { PROTOCOL_VERSION, type TReplicaStart, type TReplicaStop } from "@autoglm/protocol";
import { leaseTrialToAgentById } from "@autoglm/db/queries";
import { seedRunStudy, seedWaitingTrials } from "@autoglm/scheduler/testing";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeTeam,
  startRunLoopServer,
  waitFor,
  type RunLoopServer,
  type Team,
} from "../../../packages/agent/src/testing/harness.js";

/**
 * The serving reconciler against a real server (gateway, Socket.IO, database) with real
 * Socket.IO clients acting as agents: placement and `replica:start` (secret, files, digest),
 * readiness, a readiness-gated rollout when the alias moves (old drained only once the new one
 * is ready), heartbeats renewing replica leases and naming stale ones, a declined start going
 * to another agent, resources that fit no agent, and an agent that dies: its replica is
 * replaced on another agent within two lease periods (R14's bound).
 */
const T = 1_500;
const CONFIG = { heartbeatMs: 250, leaseTtlMs: T, sweepMs: 200, tickMs: 100, ackTimeoutMs: 1_000, startupGraceMs: 0 };
const DIGEST = "a".repeat(64);

let srv: RunLoopServer;
let team: Team;
const sockets: Socket[] = [];

interface FakeAgent {
  socket: Socket;
  agentId: string;
  starts: TReplicaStart[];
  stops: TReplicaStop[];
  /** How the agent answers `replica:start`. */
  accept: boolean;
  /** What its registration's ack named stale. */
  staleReplicas?: string[];
}

async function connectAgent(
  name: string,
  opts: { gpus?: number; labels?: Record<string, string>; replicas?: TReplicaStart[] } = {},
): Promise<FakeAgent> {
  const socket = io(`${srv.url}/agents`, { auth: { token: team.token }, transports: ["websocket"], reconnection: false });
  sockets.push(socket);
  const agent: FakeAgent = { socket, agentId: "", starts: [], stops: [], accept: true };
  socket.on("replica:start", (payload: TReplicaStart, ack: (r: unknown) => void) => {
    agent.starts.push(payload);
    ack(agent.accept ? { ok: true, accepted: true } : { ok: true, accepted: false, reason: "no room" });
  });
  socket.on("replica:stop", (payload: TReplicaStop) => agent.stops.push(payload));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const gpus = Array.from({ length: opts.gpus ?? 0 }, (_, i) => ({ index: i, model: "Test GPU", memoryMb: 16_000 }));
  const ack = (await socket.timeout(5_000).emitWithAck("agent:register", {
    v: PROTOCOL_VERSION,
    name,
    host: "localhost",
    cpuCores: 2,
    memoryMb: 8_000,
    gpus,
    labels: opts.labels ?? {},
    maxTrials: 1,
    running: [],
    ...(opts.replicas ? { replicas: opts.replicas.map((r) => ({ replicaId: r.replicaId, leaseToken: r.leaseToken })) } : {}),
  })) as { ok: boolean; agentId: string; staleReplicas?: string[] };
  expect(ack.ok).toBe(true);
  agent.agentId = ack.agentId;
  if (ack.staleReplicas) agent.staleReplicas = ack.staleReplicas;
  return agent;
}

async function seedModel(): Promise<{ modelId: string; versionIds: string[] }> {
  const [m] = await srv.db.query<{ id: string }>(
    `INSERT INTO models (org_id, project_id, name) VALUES ($1, $2, $3) RETURNING id`,
    [team.orgId, team.projectId, `digits-${randomUUID().slice(0, 6)}`],
  );
  const versionIds: string[] = [];
  for (const version of [1, 2]) {
    const files = [{ name: "model.safetensors", sizeBytes: 10 * version, sha256: "b".repeat(64), storeKey: `k/${version}` }];
    const [v] = await srv.db.query<{ id: string }>(
      `INSERT INTO model_versions (org_id, model_id, version, flavor, files, digest, total_bytes, attempt, lineage)
       VALUES ($1, $2, $3, 'builtin-mlp', $4::jsonb, $5, $6, 1, '{}'::jsonb) RETURNING id`,
      [team.orgId, m!.id, version, JSON.stringify(files), DIGEST, 10 * version],
    );
    versionIds.push(v!.id);
  }
  await srv.db.query(`INSERT INTO model_aliases (model_id, org_id, alias, version_id) VALUES ($1, $2, 'production', $3)`, [
    m!.id,
    team.orgId,
    versionIds[0],
  ]);
  return { modelId: m!.id, versionIds };
}

async function seedEndpoint(modelId: string, resources: object = { gpus: 0 }): Promise<string> {
  const [e] = await srv.db.query<{ id: string }>(
    `INSERT INTO endpoints (org_id, project_id, name, model_id, alias, resources) VALUES ($1, $2, $3, $4, 'production', $5::jsonb) RETURNING id`,
    [team.orgId, team.projectId, `ep-${randomUUID().slice(0, 6)}`, modelId, JSON.stringify(resources)],
  );
  return e!.id;
}

async function replicas(endpointId: string) {
  return srv.db.query<{ id: string; state: string; model_version_id: string; agent_id: string | null; reason: string | null }>(
    `SELECT id, state, model_version_id, agent_id, reason FROM endpoint_replicas WHERE endpoint_id = $1 ORDER BY created_at`,
    [endpointId],
  );
}

async function ready(agent: FakeAgent, start: TReplicaStart) {
  return agent.socket.timeout(5_000).emitWithAck("replica:ready", {
    v: PROTOCOL_VERSION,
    replicaId: start.replicaId,
    leaseToken: start.leaseToken,
    url: "http://127.0.0.1:9",
    gpus: [],
  });
}

async function heartbeat(agent: FakeAgent, held: TReplicaStart[]) {
  return (await agent.socket.timeout(5_000).emitWithAck("agent:heartbeat", {
    v: PROTOCOL_VERSION,
    seq: Date.now(),
    running: [],
    replicas: held.map((s) => ({ replicaId: s.replicaId, leaseToken: s.leaseToken })),
  })) as { ok: boolean; staleReplicas?: string[] };
}

beforeAll(async () => {
  srv = await startRunLoopServer(CONFIG);
  team = await makeTeam(srv, "serving");
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await srv?.close();
});

describe("serving replicas", () => {
  it("places a replica, rolls out a moved alias readiness-gated, renews leases and names stale ones", async () => {
    const a = await connectAgent("serve-a");
    const { modelId, versionIds } = await seedModel();
    const endpointId = await seedEndpoint(modelId);
    srv.gateway.servingChanged();
    await waitFor(() => a.starts.length === 1, 10_000);
    const s1 = a.starts[0]!;
    expect(s1).toMatchObject({
      model: { version: 1, versionId: versionIds[0], flavor: "builtin-mlp", digest: DIGEST },
      resources: { gpus: 0 },
    });
    expect(s1.model.files).toEqual([{ name: "model.safetensors", size: 10, sha256: "b".repeat(64) }]);
    expect(s1.secret).toBe(srv.gateway.replicaSecretOf(s1.replicaId));
    expect((await replicas(endpointId))[0]).toMatchObject({ state: "starting", agent_id: a.agentId });
    expect(await ready(a, s1)).toEqual({ ok: true, known: true });
    expect((await replicas(endpointId))[0]!.state).toBe("ready");

    // The alias moves: a v2 replica starts; v1 keeps serving until v2 is ready.
    await srv.db.query(`UPDATE model_aliases SET version_id = $1 WHERE model_id = $2`, [versionIds[1], modelId]);
    srv.gateway.servingChanged();
    await waitFor(() => a.starts.length === 2, 10_000);
    const s2 = a.starts[1]!;
    expect(s2.model.version).toBe(2);
    await srv.gateway.serving.runOnce();
    expect(a.stops).toHaveLength(0);
    expect((await replicas(endpointId)).map((r) => r.state)).toEqual(["ready", "starting"]);
    await ready(a, s2);
    await waitFor(() => a.stops.length === 1, 10_000);
    expect(a.stops[0]).toMatchObject({ replicaId: s1.replicaId, leaseToken: s1.leaseToken, graceMs: 30_000 });
    expect((await replicas(endpointId)).map((r) => r.state)).toEqual(["draining", "ready"]);

    // A draining replica's lease is not renewed: the heartbeat names it stale.
    const hb = await heartbeat(a, [s1, s2]);
    expect(hb).toMatchObject({ ok: true, staleReplicas: [s1.replicaId] });
    const ended = await a.socket.timeout(5_000).emitWithAck("replica:ended", {
      v: PROTOCOL_VERSION,
      replicaId: s1.replicaId,
      leaseToken: s1.leaseToken,
      outcome: "stopped",
    });
    expect(ended).toEqual({ ok: true, known: true });
    expect((await replicas(endpointId)).map((r) => r.state)).toEqual(["stopped", "ready"]);
    // A stale lease token changes nothing.
    const stale = await a.socket.timeout(5_000).emitWithAck("replica:ready", {
      v: PROTOCOL_VERSION,
      replicaId: s1.replicaId,
      leaseToken: randomUUID(),
      url: "http://127.0.0.1:9",
      gpus: [],
    });
    expect(stale).toEqual({ ok: true, known: false });
    await srv.db.query(`UPDATE endpoints SET deleted_at = now() WHERE id = $1`, [endpointId]);
    srv.gateway.servingChanged();
    await waitFor(() => a.stops.length === 2, 10_000);
    a.socket.disconnect();
  }, 60_000);

  it("gives a declined replica to another agent and places nothing where the resources do not fit", async () => {
    const busy = await connectAgent("serve-busy");
    busy.accept = false;
    const { modelId } = await seedModel();
    const gpuEndpoint = await seedEndpoint(modelId, { gpus: 1 });
    const endpointId = await seedEndpoint(modelId);
    srv.gateway.servingChanged();
    await waitFor(() => busy.starts.length >= 1, 10_000);
    await srv.gateway.serving.runOnce();
    // It declined: the replica waits again (pending), and the GPU endpoint fits no agent.
    expect((await replicas(endpointId))[0]!.state).toBe("pending");
    expect((await replicas(gpuEndpoint))[0]).toMatchObject({ state: "pending", agent_id: null });
    expect(busy.starts.every((s) => s.endpoint.id === endpointId)).toBe(true);
    const gpuAgent = await connectAgent("serve-gpu", { gpus: 1 });
    await waitFor(() => gpuAgent.starts.length >= 1, 10_000);
    // The replica holds the agent's one GPU: a one-GPU trial is not leased to it, a CPU trial is.
    const gpuStudy = await seedRunStudy(srv.db, team, { run: { command: "true", resources: { gpus: 1 } } });
    await seedWaitingTrials(srv.db, team, gpuStudy, 1);
    expect(await leaseTrialToAgentById(srv.db, { agentId: gpuAgent.agentId, leaseTtlMs: T })).toBeNull();
    await srv.db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [gpuStudy]);
    await srv.db.query(`UPDATE endpoints SET deleted_at = now() WHERE id IN ($1, $2)`, [gpuEndpoint, endpointId]);
    srv.gateway.servingChanged();
    await srv.gateway.serving.runOnce();
    busy.socket.disconnect();
    gpuAgent.socket.disconnect();
  }, 60_000);

  it("refuses a replica URL aimed at the server's cloud metadata service (S9) and starts another", async () => {
    const a = await connectAgent("serve-ssrf");
    const { modelId } = await seedModel();
    const endpointId = await seedEndpoint(modelId);
    srv.gateway.servingChanged();
    await waitFor(() => a.starts.length === 1, 10_000);
    const s = a.starts[0]!;
    const ack = await a.socket.timeout(5_000).emitWithAck("replica:ready", {
      v: PROTOCOL_VERSION,
      replicaId: s.replicaId,
      leaseToken: s.leaseToken,
      url: "http://169.254.169.254",
      gpus: [],
    });
    expect(ack).toEqual({ ok: true, known: false });
    const [row] = await replicas(endpointId);
    expect(row).toMatchObject({ state: "failed" });
    expect(row!.reason).toMatch(/^REPLICA_URL_REFUSED/);
    await waitFor(() => a.starts.length === 2, 10_000);
    await srv.db.query(`UPDATE endpoints SET deleted_at = now() WHERE id = $1`, [endpointId]);
    srv.gateway.servingChanged();
    await srv.gateway.serving.runOnce();
    a.socket.disconnect();
  }, 60_000);

  it("replaces the replica of an agent that stops heartbeating within two lease periods", async () => {
    const a = await connectAgent("serve-dies");
    const { modelId } = await seedModel();
    const endpointId = await seedEndpoint(modelId);
    srv.gateway.servingChanged();
    await waitFor(() => a.starts.length === 1, 10_000);
    await ready(a, a.starts[0]!);
    const b = await connectAgent("serve-survivor");
    // The first agent dies (no more heartbeats, socket gone).
    const diedAt = Date.now();
    a.socket.disconnect();
    await waitFor(() => b.starts.length === 1, 4 * T);
    expect(Date.now() - diedAt).toBeLessThanOrEqual(2 * T + 1_000);
    const rows = await replicas(endpointId);
    expect(rows[0]).toMatchObject({ state: "failed", agent_id: a.agentId });
    expect(rows[0]!.reason).toMatch(/^AGENT_LOST/);
    expect(rows[1]).toMatchObject({ state: "starting", agent_id: b.agentId });
    // The lost agent comes back still running its old replica: told at registration to stop it.
    const back = await connectAgent("serve-dies", { replicas: [a.starts[0]!] });
    expect(back.staleReplicas).toEqual([a.starts[0]!.replicaId]);
    back.socket.disconnect();
    b.socket.disconnect();
  }, 60_000);
});

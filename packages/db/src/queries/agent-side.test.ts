/**
 * The agent side's statements (agent-tokens, agent-registry, agent-leases, agent-heartbeats,
 * agent-metrics, study-optimizer, trial-artifacts): what an agent is allowed, leased, renewed and stores.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing.js";
import {
  agentMayActById,
  agentTokenMayActById,
  endAttemptAndLeaseNextById,
  endTrialAttemptById,
  findStudyPrunerNameById,
  findStudySpecById,
  insertOrgWithOwner,
  insertProject,
  insertStudy,
  insertToken,
  insertTrial,
  insertUser,
  leaseTrialToAgentById,
  listAgentLeasesByAgentId,
  listAgentSummaries,
  listLeasesOfStoppedStudiesByAgentId,
  listOrgIdsWithWaitingTrials,
  markAgentOfflineById,
  recordAgentHeartbeatById,
  recordAgentMetricsById,
  recordTrialArtifactById,
  checkArtifactUploadByTokenHash,
  registerAgentByTokenId,
  slugify,
  touchAgentTokenByHash,
  updateStudyById,
  upsertMembership,
} from "./index.js";
import type { TStudySpec } from "@autoglm/protocol";
import type { TenantScope } from "./scope.js";

/** Only `run`, the budget and the pruner matter to these statements. */
const SPEC = {
  run: { command: "python train.py", resources: { gpus: 0 } },
  budget: { max_attempts: 3 },
  pruner: { name: "median" },
} as unknown as TStudySpec;
const TTL = 60_000;

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function member(scope: TenantScope, tag: string, role: "owner" | "member" | "viewer") {
  const user = (await insertUser(db.db, { email: `${tag}-${randomUUID()}@agents.test`, name: tag, passwordHash: "h" }))!;
  if (role !== "owner") await upsertMembership(db.db, scope, { userId: user.id, role });
  const tokenHash = `hash-${randomUUID()}`;
  const token = await insertToken(db.db, scope, {
    userId: user.id,
    name: tag,
    prefix: `agl_${tag}`,
    tokenHash,
    scopes: ["agent"],
    projectId: null,
    expiresAt: null,
  });
  return { userId: user.id, tokenId: token.id, tokenHash };
}

/** A team whose owner holds an agent token, with a running agent study and `waiting` queued trials. */
async function team(tag: string, waiting = 1) {
  const owner = (await insertUser(db.db, { email: `${tag}-${randomUUID()}@agents.test`, name: tag, passwordHash: "h" }))!;
  const org = await insertOrgWithOwner(db.db, {
    name: tag,
    slug: slugify(`${tag}-${randomUUID().slice(0, 8)}`),
    ownerId: owner.id,
  });
  const scope: TenantScope = { orgId: org.id };
  const project = (await insertProject(db.db, scope, { name: "p", slug: "p", description: null }))!;
  const study = await insertStudy(db.db, scope, {
    projectId: project.id,
    name: "s",
    spec: SPEC,
    direction: "minimize",
    metric: "loss",
    createdBy: owner.id,
  });
  for (let n = 0; n < waiting; n++)
    await insertTrial(db.db, scope, { studyId: study.id, number: n, state: "waiting", params: { x: n } });
  const tokenHash = `hash-${randomUUID()}`;
  const token = await insertToken(db.db, scope, {
    userId: owner.id,
    name: "agent",
    prefix: `agl_${tag}`,
    tokenHash,
    scopes: ["agent"],
    projectId: null,
    expiresAt: null,
  });
  return { scope, studyId: study.id, ownerToken: { tokenId: token.id, tokenHash } };
}

async function register(scope: TenantScope, tokenId: string, name = "gpu-box") {
  return registerAgentByTokenId(db, {
    orgId: scope.orgId,
    tokenId,
    name,
    host: "localhost",
    cpuCores: 8,
    memoryMb: 32_000,
    gpus: [],
    labels: {},
    maxTrials: 2,
  });
}

async function agentOf(t: Awaited<ReturnType<typeof team>>, name = "gpu-box"): Promise<string> {
  return (await register(t.scope, t.ownerToken.tokenId, name)).agentId!;
}

describe("agent-tokens", () => {
  it("finds a token that may act by its hash, and refuses a revoked one everywhere", async () => {
    const t = await team("tok");
    const agentId = await agentOf(t);
    expect(await touchAgentTokenByHash(db, t.ownerToken.tokenHash)).toEqual({
      tokenId: t.ownerToken.tokenId,
      orgId: t.scope.orgId,
      userId: expect.any(String),
      projectId: null,
    });
    expect(await touchAgentTokenByHash(db, "hash-of-nothing")).toBeNull();
    expect(await agentTokenMayActById(db, t.ownerToken.tokenId)).toBe(true);
    expect(await agentMayActById(db, agentId)).toBe(true);
    await db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [t.ownerToken.tokenId]);
    expect(await touchAgentTokenByHash(db, t.ownerToken.tokenHash)).toBeNull();
    expect(await agentTokenMayActById(db, t.ownerToken.tokenId)).toBe(false);
    expect(await agentMayActById(db, agentId)).toBe(false);
  });

  it("refuses a viewer's token", async () => {
    const t = await team("tok-viewer");
    const viewer = await member(t.scope, "viewer", "viewer");
    expect(await agentTokenMayActById(db, viewer.tokenId)).toBe(false);
    expect(await register(t.scope, viewer.tokenId)).toEqual({ mayAct: false, agentId: null });
  });
});

describe("agent-registry", () => {
  it("registers once per name; another member's token cannot take the name over", async () => {
    const t = await team("reg");
    const first = await register(t.scope, t.ownerToken.tokenId);
    expect(first).toEqual({ mayAct: true, agentId: expect.any(String) });
    expect(await register(t.scope, t.ownerToken.tokenId)).toEqual(first);
    const other = await member(t.scope, "other", "member");
    expect(await register(t.scope, other.tokenId)).toEqual({ mayAct: true, agentId: null });
    const elsewhere = await team("reg-elsewhere");
    expect(await register(elsewhere.scope, t.ownerToken.tokenId)).toEqual({ mayAct: false, agentId: null });
  });

  it("lists the team's agents with their running trials, and none of another team", async () => {
    const t = await team("list");
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const [summary, ...more] = await listAgentSummaries(db, t.scope, { staleAfterMs: 30_000 });
    expect(more).toEqual([]);
    expect(summary).toMatchObject({ id: agentId, name: "gpu-box", cpuCores: 8, maxTrials: 2, isOnline: true, gpusInUse: 0 });
    expect(summary!.running).toEqual([
      { trialId: lease.trialId, studyId: t.studyId, number: 0, attempt: 1, startedAt: expect.any(String) },
    ]);
    expect(await listAgentSummaries(db, (await team("list-b")).scope, { staleAfterMs: 30_000 })).toEqual([]);
    await markAgentOfflineById(db, agentId);
    expect((await listAgentSummaries(db, t.scope, { staleAfterMs: 30_000 }))[0]!.isOnline).toBe(false);
  });
});

describe("agent-leases", () => {
  it("leases the oldest waiting trial to one agent, then nothing when the queue is empty", async () => {
    const t = await team("lease", 1);
    const agentId = await agentOf(t);
    expect(await listOrgIdsWithWaitingTrials(db)).toContain(t.scope.orgId);
    const lease = await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL });
    expect(lease).toMatchObject({ orgId: t.scope.orgId, studyId: t.studyId, number: 0, attempt: 1, params: { x: 0 } });
    expect(lease!.spec).toMatchObject({ run: { command: "python train.py" } });
    expect(await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL })).toBeNull();
    expect(await listOrgIdsWithWaitingTrials(db)).not.toContain(t.scope.orgId);
    expect(await listAgentLeasesByAgentId(db, agentId)).toEqual([{ trialId: lease!.trialId, leaseToken: lease!.leaseToken }]);
  });
});

/** An agent reporting its attempt complete with `value`, as the gateway ends it. */
const completion = (trialId: string, agentId: string, leaseToken: string, attempt: number, value = 0.25) => ({
  trialId,
  leaseKind: "agent" as const,
  leaseToken,
  agentId,
  attempt,
  agentMustAct: true,
  orgId: null,
  onlyIfExpired: false,
  mode: "complete" as const,
  code: "COMPLETED",
  consumesAttempt: true,
  nonConsumingCodes: [],
  reason: "completed",
  value,
  lastStep: null,
  logTail: null,
  at: null,
});

describe("an agent's completion (endTrialAttemptById with its fences)", () => {
  it("ends only the named attempt, and nothing once the agent's token may no longer act", async () => {
    const t = await team("complete-fence");
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    expect(await endTrialAttemptById(db, completion(lease.trialId, agentId, lease.leaseToken, lease.attempt + 1))).toBeNull();
    await db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [t.ownerToken.tokenId]);
    expect(await endTrialAttemptById(db, completion(lease.trialId, agentId, lease.leaseToken, lease.attempt))).toBeNull();
    const [still] = await db.query<{ state: string; value: unknown }>(`SELECT state, value FROM trials WHERE id = $1`, [
      lease.trialId,
    ]);
    expect(still).toEqual({ state: "running", value: null });
    await db.query(`UPDATE api_tokens SET revoked_at = NULL WHERE id = $1`, [t.ownerToken.tokenId]);
    expect(await endTrialAttemptById(db, completion(lease.trialId, agentId, lease.leaseToken, lease.attempt))).toMatchObject({
      state: "complete",
      value: 0.25,
      agentId,
    });
  });
});

describe("endAttemptAndLeaseNextById", () => {
  const states = async (studyId: string) =>
    (
      await db.query<{ number: number; state: string }>(`SELECT number, state FROM trials WHERE study_id = $1 ORDER BY number`, [
        studyId,
      ])
    ).map((r) => `${r.number}:${r.state}`);

  it("fills the slot a completion frees on a full agent, in the same statement", async () => {
    const t = await team("end-lease", 3);
    const agentId = await agentOf(t); // two slots
    const first = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL });
    expect(await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL })).toBeNull(); // full
    const r = await endAttemptAndLeaseNextById(db, completion(first.trialId, agentId, first.leaseToken, first.attempt, 0.5), {
      leaseTtlMs: TTL,
    });
    expect(r.ended).toMatchObject({ trialId: first.trialId, state: "complete", value: 0.5, agentId, attempt: 1 });
    expect(r.lease).toMatchObject({ studyId: t.studyId, number: 2, attempt: 1, params: { x: 2 } });
    expect(new Date(r.lease!.leaseExpiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(await states(t.studyId)).toEqual(["0:complete", "1:running", "2:running"]);
    const [att] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM trial_attempts WHERE trial_id = $1`, [
      r.lease!.trialId,
    ]);
    expect(att!.n).toBe(1);
  });

  it("leases nothing when the end matches nothing: a stale token, or a token that may no longer act", async () => {
    const t = await team("end-lease-stale", 2);
    const agentId = await agentOf(t);
    const first = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const stale = completion(first.trialId, agentId, randomUUID(), first.attempt);
    expect(await endAttemptAndLeaseNextById(db, stale, { leaseTtlMs: TTL })).toEqual({ ended: null, lease: null });
    await db.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, [t.ownerToken.tokenId]);
    const revoked = completion(first.trialId, agentId, first.leaseToken, first.attempt);
    expect(await endAttemptAndLeaseNextById(db, revoked, { leaseTtlMs: TTL })).toEqual({ ended: null, lease: null });
    expect(await states(t.studyId)).toEqual(["0:running", "1:waiting"]);
  });

  it("ends the attempt and leases nothing when no trial waits", async () => {
    const t = await team("end-lease-empty", 1);
    const agentId = await agentOf(t);
    const first = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const r = await endAttemptAndLeaseNextById(db, completion(first.trialId, agentId, first.leaseToken, first.attempt, 0.5), {
      leaseTtlMs: TTL,
    });
    expect(r).toMatchObject({ ended: { state: "complete" }, lease: null });
  });
});

describe("agent-heartbeats", () => {
  it("renews only the leases held with their token, and finds those of a stopped study", async () => {
    const t = await team("hb", 1);
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const held = { trialId: lease.trialId, leaseToken: lease.leaseToken };
    const stale = { trialId: lease.trialId, leaseToken: randomUUID() };
    expect(await recordAgentHeartbeatById(db, { agentId, held: [held], leaseTtlMs: TTL, gpuUse: null })).toEqual({
      found: true,
      renewed: new Set([lease.trialId]),
    });
    expect(await recordAgentHeartbeatById(db, { agentId, held: [stale], leaseTtlMs: TTL, gpuUse: null })).toEqual({
      found: true,
      renewed: new Set(),
    });
    expect((await recordAgentHeartbeatById(db, { agentId: randomUUID(), held: [], leaseTtlMs: TTL, gpuUse: null })).found).toBe(
      false,
    );
    expect(await listLeasesOfStoppedStudiesByAgentId(db, { agentId, claims: [held] })).toEqual([]);
    await updateStudyById(db.db, t.studyId, { state: "stopped" });
    expect(await recordAgentHeartbeatById(db, { agentId, held: [held], leaseTtlMs: TTL, gpuUse: null })).toEqual({
      found: true,
      renewed: new Set(),
    });
    expect(await listLeasesOfStoppedStudiesByAgentId(db, { agentId, claims: [held, stale] })).toEqual([held]);
  });
});

describe("agent-metrics", () => {
  it("stores the objective's points under the held lease only, once per step", async () => {
    const t = await team("metrics", 1);
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const input = {
      trialId: lease.trialId,
      leaseToken: lease.leaseToken,
      attempt: 1,
      agentId,
      points: <Array<{ step: number; metrics: Record<string, number> }>>[
        { step: 0, metrics: { loss: 0.5 } },
        { step: 1, metrics: { acc: 0.9 } },
        { step: 2, metrics: { loss: 0.25 } },
      ],
      leaseTtlMs: TTL,
    };
    expect(await recordAgentMetricsById(db, input)).toEqual({
      held: true,
      stored: 2,
      studyId: t.studyId,
      orgId: t.scope.orgId,
      number: 0,
      params: { x: 0 },
      metric: "loss",
      objective: [
        [0, 0.5],
        [2, 0.25],
      ],
    });
    expect((await recordAgentMetricsById(db, input)).stored).toBe(0);
    expect((await recordAgentMetricsById(db, { ...input, leaseToken: randomUUID() })).held).toBe(false);
  });
});

describe("study-optimizer", () => {
  it("reads a study's spec and pruner name, null for an unknown study", async () => {
    const t = await team("opt", 0);
    expect((await findStudySpecById(db, t.studyId))?.spec).toMatchObject({ pruner: { name: "median" } });
    expect(await findStudyPrunerNameById(db, t.studyId)).toBe("median");
    expect(await findStudySpecById(db, randomUUID())).toBeNull();
    expect(await findStudyPrunerNameById(db, randomUUID())).toBeNull();
  });
});

describe("trial-artifacts (agent uploads)", () => {
  it("checks an upload against the token, the team, the lease and the agent, and records it under the held lease only", async () => {
    const t = await team("artifacts", 1);
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const upload = {
      tokenHash: t.ownerToken.tokenHash,
      trialId: lease.trialId,
      attempt: 1,
      leaseToken: lease.leaseToken,
      name: "a.bin",
    };
    expect(await checkArtifactUploadByTokenHash(db, upload)).toEqual({
      status: "ok",
      orgId: t.scope.orgId,
      projectId: expect.any(String),
      studyId: t.studyId,
      maxMb: null,
      usedBytes: 0,
      existing: null,
    });
    const row = {
      trialId: lease.trialId,
      attempt: 1,
      leaseToken: lease.leaseToken,
      sizeBytes: 5,
      sha256: "c".repeat(64),
      storeKey: "k",
    };
    expect(await recordTrialArtifactById(db, { ...row, name: "a.bin" })).toBe(true);
    expect(await recordTrialArtifactById(db, { ...row, name: "b.bin", sizeBytes: 7 })).toBe(true);
    expect(await checkArtifactUploadByTokenHash(db, upload)).toMatchObject({
      status: "ok",
      usedBytes: 7,
      existing: { sizeBytes: 5, sha256: "c".repeat(64) },
    });

    // Another team's token, a wrong lease token, a wrong attempt, another agent of the team.
    const other = await team("artifacts-other", 0);
    expect(await checkArtifactUploadByTokenHash(db, { ...upload, tokenHash: other.ownerToken.tokenHash })).toEqual({
      status: "not-found",
    });
    expect(await checkArtifactUploadByTokenHash(db, { ...upload, tokenHash: "hash-of-nothing" })).toEqual({
      status: "token-refused",
    });
    expect(await checkArtifactUploadByTokenHash(db, { ...upload, leaseToken: randomUUID() })).toEqual({ status: "stale-lease" });
    expect(await checkArtifactUploadByTokenHash(db, { ...upload, attempt: 2 })).toEqual({ status: "stale-lease" });
    const second = await member(t.scope, "second", "member");
    expect(await checkArtifactUploadByTokenHash(db, { ...upload, tokenHash: second.tokenHash })).toEqual({
      status: "other-agent",
    });
    expect(await recordTrialArtifactById(db, { ...row, name: "c.bin", leaseToken: randomUUID() })).toBe(false);

    // Once the attempt ended, its lease fences nothing more in.
    await db.query(`UPDATE trials SET state = 'complete' WHERE id = $1`, [lease.trialId]);
    expect(await checkArtifactUploadByTokenHash(db, upload)).toEqual({ status: "stale-lease" });
    expect(await recordTrialArtifactById(db, { ...row, name: "c.bin" })).toBe(false);
    const names = await db.query<{ name: string }>(`SELECT name FROM trial_artifacts WHERE trial_id = $1 ORDER BY name`, [
      lease.trialId,
    ]);
    expect(names.map((r) => r.name)).toEqual(["a.bin", "b.bin"]);
  });

  it("takes the files of an attempt the server ended (prune, stop) for 5 minutes after, and no other ended attempt's", async () => {
    const t = await team("artifacts-ended", 1);
    const agentId = await agentOf(t);
    const lease = (await leaseTrialToAgentById(db, { agentId, leaseTtlMs: TTL }))!;
    const upload = { tokenHash: t.ownerToken.tokenHash, trialId: lease.trialId, attempt: 1, leaseToken: lease.leaseToken };
    const row = { ...upload, sizeBytes: 5, sha256: "c".repeat(64), storeKey: "k" };
    const endAs = (state: string, code: string, ago = "0 seconds") =>
      db.query(`UPDATE trials SET state = $2, end_code = $3, finished_at = now() - $4::interval WHERE id = $1`, [
        lease.trialId,
        state,
        code,
        ago,
      ]);
    for (const [state, code] of [
      ["pruned", "PRUNED"],
      ["failed", "USER_STOPPED"],
      ["failed", "STUDY_STOPPED"],
    ] as const) {
      await endAs(state, code);
      expect(await checkArtifactUploadByTokenHash(db, { ...upload, name: `${code}.bin` })).toMatchObject({ status: "ok" });
      expect(await recordTrialArtifactById(db, { ...row, name: `${code}.bin` })).toBe(true);
      // Another attempt's token or number is still refused.
      expect(await checkArtifactUploadByTokenHash(db, { ...upload, name: "x", leaseToken: randomUUID() })).toEqual({
        status: "stale-lease",
      });
      expect(await checkArtifactUploadByTokenHash(db, { ...upload, name: "x", attempt: 2 })).toEqual({ status: "stale-lease" });
    }
    for (const [state, code, ago] of [
      ["pruned", "PRUNED", "301 seconds"],
      ["failed", "USER_COMMAND_EXIT_NONZERO", "0 seconds"],
      ["failed", "USER_TIMEOUT", "0 seconds"],
      ["complete", "COMPLETED", "0 seconds"],
    ] as const) {
      await endAs(state, code, ago);
      expect(await checkArtifactUploadByTokenHash(db, { ...upload, name: "late.bin" })).toEqual({ status: "stale-lease" });
      expect(await recordTrialArtifactById(db, { ...row, name: "late.bin" })).toBe(false);
    }
    const names = await db.query<{ name: string }>(`SELECT name FROM trial_artifacts WHERE trial_id = $1 ORDER BY name`, [
      lease.trialId,
    ]);
    expect(names.map((r) => r.name)).toEqual(["PRUNED.bin", "STUDY_STOPPED.bin", "USER_STOPPED.bin"]);
  });
});

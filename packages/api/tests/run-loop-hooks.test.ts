/**
 * The run loop's surface in the api: `agent.list`, `trial.stop` for ask/tell and
 * agent trials, and `study.stop` reaching the run loop. Agents and leases are made with the
 * scheduler's own functions (seedAgent, leaseTrial) on the real database; the run-loop hook
 * is the scheduler's real stop functions behind a recorder (the gateway's socket half is
 * tested in packages/scheduler).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaseTrial, stopStudyTrials, stopTrial as stopTrialInDb } from "@autoglm/scheduler";
import { seedAgent, seedRunStudy, seedWaitingTrials, type TeamFixture } from "@autoglm/scheduler/testing";
import { createServerCaller, type TRunLoopHooks } from "../src/index.js";
import { makeWorld, outcome, type World } from "./fixture.js";

let w: World;
let team: TeamFixture;
beforeAll(async () => {
  w = await makeWorld();
  team = { orgId: w.A.orgId, userId: w.A.ownerId, projectId: w.A.projectId };
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const RUN = { command: "python train.py --x {x}", resources: { gpus: 1 } };

/** An agent of team A holding one leased trial of a fresh `run` study. */
async function agentWithTrial(name: string) {
  const studyId = await seedRunStudy(w.db, team, { name: `run-${name}`, run: RUN });
  await seedWaitingTrials(w.db, team, studyId, 1);
  const agentId = await seedAgent(w.db, team, { name, gpus: 2, maxTrials: 2, labels: { zone: "eu" } });
  const lease = await leaseTrial(w.db, { agentId, leaseTtlMs: 60_000 });
  expect(lease, "the seeded trial is leased").not.toBeNull();
  return { studyId, agentId, trialId: lease!.trialId, number: lease!.number };
}

async function trialRow(trialId: string) {
  const [r] = await w.db.query<Record<string, unknown>>(
    `select state, end_code, end_reason, lease_kind from trials where id = $1`,
    [trialId],
  );
  return r!;
}

function recordingRunLoop() {
  const calls: Array<{ fn: string; input: unknown }> = [];
  const hooks: TRunLoopHooks = {
    async stopTrial(input) {
      calls.push({ fn: "stopTrial", input });
      return stopTrialInDb(w.db, input);
    },
    async stopStudyTrials(input) {
      calls.push({ fn: "stopStudyTrials", input });
      return stopStudyTrials(w.db, { ...input, code: "STUDY_STOPPED", reason: input.reason ?? "stopped" });
    },
  };
  return { calls, hooks };
}

describe("agent.list", () => {
  it("lists the team's agents with GPUs, labels, liveness and running trials named by study", async () => {
    const a = await agentWithTrial("trainer-1");
    await w.db.query(
      `update agents set gpus = '[{"index":0,"model":"H100","memoryMb":81559,"utilizationPct":87},{"index":1,"model":"H100","memoryMb":81559}]'::jsonb
       where id = $1`,
      [a.agentId],
    );
    await seedAgent(w.db, team, { name: "sleeper" });
    await w.db.query(`update agents set last_heartbeat_at = now() - interval '10 minutes' where name = 'sleeper'`);

    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    const list = await viewer.agent.list();
    const byName = Object.fromEntries(list.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual([w.A.agentName, "sleeper", "trainer-1"].sort());

    const t1 = byName["trainer-1"]!;
    expect(t1.isOnline).toBe(true);
    expect(t1.host).toBe("localhost");
    expect(t1.cpuCores).toBe(4);
    expect(t1.labels).toEqual({ zone: "eu" });
    expect(t1.gpus).toEqual([
      { index: 0, model: "H100", memoryMb: 81559, utilizationPct: 87 },
      { index: 1, model: "H100", memoryMb: 81559, utilizationPct: null },
    ]);
    expect(t1.gpusInUse).toBe(1);
    expect(t1.running).toEqual([
      expect.objectContaining({
        trialId: a.trialId,
        studyId: a.studyId,
        studyName: "run-trainer-1",
        number: a.number,
        attempt: 1,
      }),
    ]);
    expect(Date.now() - Date.parse(t1.lastHeartbeatAt!)).toBeLessThan(60_000);

    // A silent agent is offline even though its row still says is_online (a crash).
    expect(byName["sleeper"]!.isOnline).toBe(false);
    expect(byName["sleeper"]!.running).toEqual([]);

    // Team B sees only its own agent.
    const b = await w.as(w.B.ownerId, w.B.orgId);
    expect((await b.agent.list()).map((x) => x.name)).toEqual([w.B.agentName]);

    // A read token works; an agent-only token does not (it lacks the read scope).
    const ro = await w.withToken(w.tokens.readOnlyA);
    expect((await ro.agent.list()).length).toBe(3);
    const agentOnly = await w.withToken(w.tokens.agentOnlyA);
    expect(await outcome(() => agentOnly.agent.list())).toMatchObject({ ok: false, code: "FORBIDDEN", appCode: "SCOPE_MISSING" });
  });

  it("a project-restricted token sees the team's agents but not other projects' trials on them", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const other = await owner.project.create({ name: "agents-elsewhere" });
    const t = await owner.token.create({ name: "restricted-agents", scopes: ["read"], projectId: other.id });
    // A replica of each project's endpoint on trainer-1: the token sees its project's only.
    const [trainer] = await w.db.query<{ id: string }>(`select id from agents where name = 'trainer-1'`);
    for (const [name, projectId] of [
      ["serve-home", w.A.projectId],
      ["serve-elsewhere", other.id],
    ] as const) {
      const [m] = await w.db.query<{ id: string }>(`insert into models (org_id, name) values ($1, $2) returning id`, [
        w.A.orgId,
        name,
      ]);
      const [v] = await w.db.query<{ id: string }>(
        `insert into model_versions (org_id, model_id, version, flavor, files, digest, total_bytes, attempt, lineage)
         values ($1, $2, 1, 'builtin-mlp', '[]'::jsonb, $3, 0, 1, '{}'::jsonb) returning id`,
        [w.A.orgId, m!.id, "c".repeat(64)],
      );
      const [e] = await w.db.query<{ id: string }>(
        `insert into endpoints (org_id, project_id, name, model_id, version_id) values ($1, $2, $3, $4, $5) returning id`,
        [w.A.orgId, projectId, name, m!.id, v!.id],
      );
      await w.db.query(
        `insert into endpoint_replicas (org_id, endpoint_id, model_version_id, agent_id, state) values ($1, $2, $3, $4, 'starting')`,
        [w.A.orgId, e!.id, v!.id, trainer!.id],
      );
    }
    const rc = await w.withToken(t.token);
    const list = await rc.agent.list();
    const t1 = list.find((x) => x.name === "trainer-1")!;
    expect(t1).toBeDefined();
    expect(t1.running).toEqual([]);
    expect(t1.replicas).toEqual([
      { replicaId: expect.any(String), endpoint: "serve-elsewhere", version: 1, state: "starting", gpus: [] },
    ]);
    expect(JSON.stringify(list)).not.toContain("run-trainer-1");
    const owners = (await owner.agent.list()).find((x) => x.name === "trainer-1")!;
    expect(owners.replicas.map((r) => r.endpoint)).toEqual(["serve-elsewhere", "serve-home"]);
  });
});

describe("trial.stop", () => {
  it("stops an ask/tell trial: failed, USER_STOPPED, 'stopped by a user', attempt closed, audited", async () => {
    const tc = await w.withToken(w.A.token);
    const asked = await tc.trial.ask({ studyId: w.A.studyId });
    const before = w.deps.events.events.length;
    const member = await w.as(w.memberA.userId, w.A.orgId);
    expect(await member.trial.stop({ trialId: asked.trialId })).toEqual({ ok: true });

    const got = await member.trial.get({ trialId: asked.trialId });
    expect(got).toMatchObject({ state: "failed", endCode: "USER_STOPPED", endReason: "stopped by a user" });
    expect(got.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        leaseKind: "ask",
        endCode: "USER_STOPPED",
        endReason: "stopped by a user",
        agentName: null,
        logTail: null,
      }),
    ]);
    expect(got.attempts[0]!.endedAt).not.toBeNull();
    expect(w.deps.events.events.slice(before)).toEqual(
      expect.arrayContaining([{ type: "trial:updated", orgId: w.A.orgId, studyId: w.A.studyId, trialId: asked.trialId }]),
    );
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const audit = await owner.audit.list({ limit: 20 });
    expect(audit.find((e) => e.action === "trial.stop" && e.targetId === asked.trialId)).toMatchObject({
      actor: { userId: w.memberA.userId, email: w.memberA.email },
    });

    // The user's program telling a result afterwards is refused; stopping again is a no-op.
    expect(await outcome(() => tc.trial.tell({ trialId: asked.trialId, value: 1 }))).toMatchObject({
      ok: false,
      appCode: "TRIAL_NOT_RUNNING",
    });
    expect(await member.trial.stop({ trialId: asked.trialId })).toEqual({ ok: true });
  });

  it("refuses a finished trial with TRIAL_NOT_RUNNING and a viewer with ROLE_TOO_LOW, changing nothing", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const r = await outcome(() => owner.trial.stop({ trialId: w.A.completeTrialId }));
    expect(r).toMatchObject({ ok: false, code: "CONFLICT", appCode: "TRIAL_NOT_RUNNING" });
    expect((r as { message: string }).message).toMatch(/already complete/);
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect(await outcome(() => viewer.trial.stop({ trialId: w.A.runningTrialId }))).toMatchObject({
      ok: false,
      appCode: "ROLE_TOO_LOW",
    });
    expect((await trialRow(w.A.runningTrialId)).state).toBe("running");
  });

  it("an agent trial goes through the run-loop hook (which tells the agent) and shows the agent on its attempt", async () => {
    const a = await agentWithTrial("trainer-hook");
    const { calls, hooks } = recordingRunLoop();
    const caller = await createServerCaller({ ...w.deps, runLoop: hooks }, { token: w.A.token });
    expect(await caller.trial.stop({ trialId: a.trialId })).toEqual({ ok: true });
    expect(calls).toEqual([{ fn: "stopTrial", input: { orgId: w.A.orgId, trialId: a.trialId, reason: "stopped by a user" } }]);
    const got = await caller.trial.get({ trialId: a.trialId });
    expect(got).toMatchObject({ state: "failed", endCode: "USER_STOPPED", endReason: "stopped by a user" });
    expect(got.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        leaseKind: "agent",
        agentId: a.agentId,
        agentName: "trainer-hook",
        endCode: "USER_STOPPED",
      }),
    ]);
    // No longer on the agent.
    const list = await caller.agent.list();
    expect(list.find((x) => x.name === "trainer-hook")!.running).toEqual([]);
  });

  it("without a run loop in this process, an agent trial is ended in the database (its agent learns at the next heartbeat)", async () => {
    const a = await agentWithTrial("trainer-nohook");
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    expect(await owner.trial.stop({ trialId: a.trialId })).toEqual({ ok: true });
    expect(await trialRow(a.trialId)).toMatchObject({
      state: "failed",
      end_code: "USER_STOPPED",
      end_reason: "stopped by a user",
    });
    // A queued (waiting) trial can be stopped too.
    const studyId = await seedRunStudy(w.db, team, { name: "run-queued", run: RUN });
    await seedWaitingTrials(w.db, team, studyId, 1);
    const [q] = await w.db.query<{ id: string }>(`select id from trials where study_id = $1`, [studyId]);
    expect(await owner.trial.stop({ trialId: q!.id })).toEqual({ ok: true });
    expect(await trialRow(q!.id)).toMatchObject({ state: "failed", end_code: "USER_STOPPED" });
  });

  it("another team's trial answers exactly like a missing one", async () => {
    const b = await w.as(w.B.ownerId, w.B.orgId);
    const a = await agentWithTrial("trainer-tenancy");
    const forbidden = await outcome(() => b.trial.stop({ trialId: a.trialId }));
    const missing = await outcome(() => b.trial.stop({ trialId: crypto.randomUUID() }));
    expect(forbidden).toEqual(missing);
    expect(forbidden).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect((await trialRow(a.trialId)).state).toBe("running");
  });
});

describe("study.stop", () => {
  it("calls the run loop's stopStudyTrials after the domain stop, ending agent trials STUDY_STOPPED", async () => {
    const a = await agentWithTrial("trainer-study");
    const { calls, hooks } = recordingRunLoop();
    const caller = await createServerCaller({ ...w.deps, runLoop: hooks }, { token: w.A.token });
    expect(await caller.study.stop({ studyId: a.studyId })).toEqual({ ok: true });
    expect(calls).toEqual([
      {
        fn: "stopStudyTrials",
        input: { orgId: w.A.orgId, studyId: a.studyId, reason: "the study was stopped before this trial finished" },
      },
    ]);
    expect((await caller.study.get({ studyId: a.studyId })).state).toBe("stopped");
    expect(await trialRow(a.trialId)).toMatchObject({ state: "failed", end_code: "STUDY_STOPPED" });
  });

  it("a missing study never reaches the run loop", async () => {
    const { calls, hooks } = recordingRunLoop();
    const caller = await createServerCaller({ ...w.deps, runLoop: hooks }, { token: w.A.token });
    const b = await outcome(() => caller.study.stop({ studyId: w.B.studyId }));
    expect(b).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(calls).toEqual([]);
  });
});

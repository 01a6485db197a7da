/**
 * What a team does, end to end through the router: invitations and roles (the last owner
 * stays), tokens, studies with ask/report/tell, stop and delete, live-update events, and an
 * audit row (who, what, when) for every change of a study, trial, token, membership and
 * invitation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, SPEC, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("teams, roles and invitations", () => {
  it("invite → info → accept; used, revoked and unknown links read the same", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const inv = await owner.org.invite({ role: "member", email: "joiner@x.test" });
    expect(inv.url).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);
    const secret = inv.url.split("/").pop()!;
    const anon = await w.anon();
    expect(await anon.org.inviteInfo({ secret })).toMatchObject({ orgName: "Team a", role: "member" });
    const wrong = await w.signUp({ email: "not-joiner@x.test", password: "password-123", name: "W" });
    expect(await outcome(async () => (await w.as(wrong.userId)).org.acceptInvite({ secret }))).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
    const joiner = await w.signUp({ email: "joiner@x.test", password: "password-123", name: "J" });
    expect(await (await w.as(joiner.userId)).org.acceptInvite({ secret })).toEqual({ orgId: w.A.orgId });
    const used = await outcome(() => anon.org.inviteInfo({ secret }));
    const unknown = await outcome(() => anon.org.inviteInfo({ secret: "x".repeat(43) }));
    expect(used).toEqual(unknown);
    const inv2 = await owner.org.invite({ role: "viewer" });
    await owner.org.revokeInvite({ id: inv2.id });
    expect(await outcome(() => anon.org.inviteInfo({ secret: inv2.url.split("/").pop()! }))).toEqual(unknown);
    const members = await owner.org.members();
    expect(members.find((m) => m.email === "joiner@x.test")?.role).toBe("member");
    expect((await owner.org.invitations()).length).toBeGreaterThanOrEqual(3);
  });

  it("the last owner cannot be demoted or removed; admins cannot touch owners", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    expect(await outcome(() => owner.org.updateMember({ userId: w.A.ownerId, role: "admin" }))).toMatchObject({
      ok: false,
      code: "CONFLICT",
      appCode: "LAST_OWNER",
    });
    expect(await outcome(() => owner.org.removeMember({ userId: w.A.ownerId }))).toMatchObject({
      ok: false,
      appCode: "LAST_OWNER",
    });
    await owner.org.updateMember({ userId: w.memberA.userId, role: "admin" });
    const admin = await w.as(w.memberA.userId, w.A.orgId);
    expect(await outcome(() => admin.org.updateMember({ userId: w.A.ownerId, role: "viewer" }))).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
    expect(await outcome(() => admin.org.invite({ role: "owner" }))).toMatchObject({ ok: false, code: "FORBIDDEN" });
    await admin.org.updateMember({ userId: w.memberA.userId, role: "member" });
    expect((await owner.org.members()).find((m) => m.userId === w.memberA.userId)?.role).toBe("member");
  });

  it("members see and revoke only their own tokens; admins all", async () => {
    const member = await w.as(w.memberA.userId, w.A.orgId);
    const mine = await member.token.create({ name: "member-token", scopes: ["read"] });
    expect((await member.token.list()).map((t) => t.id)).toEqual([mine.id]);
    const ownerTokens = await (await w.as(w.A.ownerId, w.A.orgId)).token.list();
    expect(ownerTokens.length).toBeGreaterThan(3);
    expect(await outcome(() => member.token.revoke({ id: w.A.tokenId }))).toMatchObject({ ok: false, code: "NOT_FOUND" });
    await (await w.as(w.A.ownerId, w.A.orgId)).token.revoke({ id: mine.id });
    expect((await member.token.list())[0]!.revokedAt).not.toBeNull();
  });
});

describe("studies through the router", () => {
  it("ask/report/tell, trial list sort/filter/cursor, get, history, best, stop, delete — with events", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const s = await owner.study.create({
      projectId: w.A.projectId,
      yaml: "name: flow\nobjective: {metric: acc, direction: maximize}\nspace:\n  x: {type: int, low: 0, high: 100}\n  opt: {type: categorical, choices: [sgd, adam]}\nsampler: {name: random, seed: 3}\nbudget: {max_trials: 8, max_parallel: 8}\n",
    });
    const tc = await w.withToken(w.A.token);
    const n0 = w.deps.events.events.length;
    for (let i = 0; i < 5; i++) {
      const a = await tc.trial.ask({ studyId: s.id });
      expect(a.number).toBe(i);
      await tc.trial.report({ trialId: a.trialId, step: 0, value: 0.1 });
      await tc.trial.report({ trialId: a.trialId, step: 0, value: 0.1 }); // replay: idempotent
      await tc.trial.report({ trialId: a.trialId, step: 1, value: 0.2 });
      if (i === 3) await tc.trial.tell({ trialId: a.trialId, state: "failed", reason: "CUDA OOM" });
      else await tc.trial.tell({ trialId: a.trialId, value: Number(a.params.x) });
    }
    expect(w.deps.events.events.length).toBeGreaterThan(n0);
    expect(w.deps.events.events.at(-1)).toMatchObject({ orgId: w.A.orgId, studyId: s.id });
    const page1 = await owner.trial.list({ studyId: s.id, sort: { by: "value", dir: "desc" }, limit: 2 });
    expect(page1.items.length).toBe(2);
    expect(page1.items[0]!.value).toBeGreaterThanOrEqual(page1.items[1]!.value!);
    const page2 = await owner.trial.list({
      studyId: s.id,
      sort: { by: "value", dir: "desc" },
      limit: 2,
      cursor: page1.nextCursor,
    });
    expect(page2.items.map((t) => t.id)).not.toContain(page1.items[0]!.id);
    const failed = await owner.trial.list({ studyId: s.id, state: "failed" });
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]!.endReason).toBe("CUDA OOM");
    const sgd = await owner.trial.list({ studyId: s.id, paramFilter: { opt: "sgd" } });
    expect(sgd.items.every((t) => t.params.opt === "sgd")).toBe(true);
    const detail = await owner.trial.get({ trialId: page1.items[0]!.id });
    expect(detail.intermediate).toEqual([
      { step: 0, value: 0.1 },
      { step: 1, value: 0.2 },
    ]);
    expect(detail.attempts).toMatchObject([{ attempt: 1, leaseKind: "ask" }]);
    const best = await owner.study.best({ studyId: s.id });
    expect(best!.value).toBe(
      Math.max(...(await owner.trial.list({ studyId: s.id, state: "complete" })).items.map((t) => t.value!)),
    );
    const hist = await owner.study.history({ studyId: s.id });
    expect(hist.total).toBe(5);
    expect(hist.points).toHaveLength(5);
    expect(hist.points.at(-1)!.best).toBe(best!.value);
    const got = await owner.study.get({ studyId: s.id });
    expect(got.counts).toEqual({ waiting: 0, running: 0, complete: 4, pruned: 0, failed: 1 });
    expect(got.spec.sampler.seed).toBe(3);
    const project = (await owner.project.list()).find((p) => p.id === w.A.projectId)!;
    expect(project.studyCount).toBe((await owner.study.list({ projectId: w.A.projectId })).length);
    expect(project.studyCount).toBeGreaterThanOrEqual(2);
    expect((await owner.project.get({ projectId: w.A.projectId })).studyCount).toBe(project.studyCount);
    const listed = (await owner.study.list({ projectId: w.A.projectId })).find((x) => x.id === s.id)!;
    expect(listed).toMatchObject({ trialCount: 5, completeCount: 4, direction: "maximize", sampler: "random" });
    const running = await tc.trial.ask({ studyId: s.id });
    await owner.study.stop({ studyId: s.id });
    const stopped = await owner.trial.get({ trialId: running.trialId });
    expect(stopped).toMatchObject({ state: "failed", endCode: "STUDY_STOPPED" });
    expect(await outcome(() => tc.trial.ask({ studyId: s.id }))).toMatchObject({
      ok: false,
      code: "CONFLICT",
      appCode: "STUDY_NOT_RUNNING",
    });
    await owner.study.delete({ studyId: s.id });
    expect(await outcome(() => owner.study.get({ studyId: s.id }))).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(w.deps.events.events.at(-1)).toEqual({ type: "study:deleted", orgId: w.A.orgId, studyId: s.id });
  });

  it("learning curves (latest trials, thinned) and parameter importance (the parameter that matters first)", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const s = await owner.study.create({
      projectId: w.A.projectId,
      yaml: "name: insights\nobjective: {metric: loss, direction: minimize}\nspace:\n  x: {type: float, low: -1, high: 1}\n  noise: {type: float, low: 0, high: 1}\nsampler: {name: random, seed: 5}\nbudget: {max_trials: 40, max_parallel: 2}\n",
    });
    const tc = await w.withToken(w.A.token);
    expect(await owner.study.importance({ studyId: s.id })).toEqual({ params: [], basedOn: 0, minTrials: 5 });
    for (let i = 0; i < 24; i++) {
      const a = await tc.trial.ask({ studyId: s.id });
      const final = Number(a.params.x) ** 2; // only x matters
      // Trial 0 reports 250 steps (thinned to ~100 points), the others 3.
      const steps = i === 0 ? 250 : 3;
      for (let step = 0; step < steps; step++) await tc.trial.report({ trialId: a.trialId, step, value: final + 1 / (step + 1) });
      await tc.trial.tell({ trialId: a.trialId, value: final });
    }
    const running = await tc.trial.ask({ studyId: s.id });
    await tc.trial.report({ trialId: running.trialId, step: 0, value: 9 });
    const { curves, truncated } = await owner.study.curves({ studyId: s.id });
    expect(truncated).toBe(false);
    expect(curves.map((c) => c.number)).toEqual([...Array(25).keys()]);
    expect(curves.at(-1)).toEqual({ trialId: running.trialId, number: 24, state: "running", endReason: null, points: [[0, 9]] });
    const long = curves[0]!.points;
    // Every 3rd report (a whole stride that fits 100), the first and the last.
    expect(long.length).toBeGreaterThanOrEqual(50);
    expect(long.length).toBeLessThanOrEqual(101);
    expect(long[1]![0]).toBe(3);
    expect(long[0]![0]).toBe(0);
    expect(long.at(-1)![0]).toBe(249);
    expect(curves[1]!.points.map(([step]) => step)).toEqual([0, 1, 2]);
    const imp = await owner.study.importance({ studyId: s.id });
    expect(imp.basedOn).toBe(24);
    expect(imp.params.map((p) => p.name)).toEqual(["x", "noise"]);
    expect(imp.params[0]!.share).toBeGreaterThan(0.8);
    expect(imp.params.reduce((a, p) => a + p.share, 0)).toBeCloseTo(1, 6);
  });

  it("a late tell after the lease was swept is refused with the reason", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const s = await owner.study.create({ projectId: w.A.projectId, spec: { ...SPEC, name: "late" } });
    const tc = await w.withToken(w.A.token);
    const a = await tc.trial.ask({ studyId: s.id });
    await w.db.query(`update trials set lease_expires_at = now() - interval '1 second' where id = $1`, [a.trialId]);
    const { sweepExpiredAskLeases } = await import("../src/index.js");
    const r = await sweepExpiredAskLeases({ db: w.db.db });
    expect(r.expired).toBeGreaterThanOrEqual(1);
    const late = await outcome(() => tc.trial.tell({ trialId: a.trialId, value: 1 }));
    expect(late).toMatchObject({ ok: false, code: "CONFLICT" });
    expect((late as { message: string }).message).toMatch(/LEASE_EXPIRED/);
  });
});

describe("audit log", () => {
  it("records who did what for studies, trials, tokens, memberships and invitations", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const rows = await owner.audit.list({ limit: 500 });
    const actions = new Set(rows.map((r) => r.action));
    for (const a of [
      "study.create",
      "study.stop",
      "study.delete",
      "trial.ask",
      "trial.tell",
      "trial.expire",
      "token.create",
      "token.revoke",
      "membership.create",
      "membership.update",
      "invitation.create",
      "invitation.revoke",
      "project.create",
    ]) {
      expect(actions.has(a), a).toBe(true);
    }
    const byToken = rows.find((r) => r.action === "trial.tell" && r.actor.tokenId === w.A.tokenId);
    expect(byToken?.actor).toMatchObject({ userId: w.A.ownerId, email: w.A.ownerEmail });
    expect(rows.every((r) => !Number.isNaN(Date.parse(r.createdAt)))).toBe(true);
    // Reports are not audited (one row per state change, not per metric).
    expect(actions.has("trial.report")).toBe(false);
    // Team B's log holds nothing of team A's.
    const bRows = await (await w.as(w.B.ownerId, w.B.orgId)).audit.list();
    expect(bRows.some((r) => r.actor.userId === w.A.ownerId)).toBe(false);
    expect(await outcome(async () => (await w.as(w.memberA.userId, w.A.orgId)).audit.list())).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
  });
});

/**
 * `trial.enqueue` and `warm_start` through the router, as a client sees them: precise refusals
 * that store nothing, the next ask getting the enqueued params, a warm start refused for a
 * study the caller cannot see (another team's answers like a missing one) or with another
 * objective, and `study.warmStart` counting what the sampler starts from.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, randomId, rowCounts, SPEC, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  ...SPEC,
  name: `${name}-${randomId().slice(0, 6)}`,
  ...extra,
});

describe("trial.enqueue", () => {
  it("refuses bad params precisely, and a read token, storing nothing; the next ask gets exactly the params", async () => {
    const tc = await w.as(w.memberA.userId, w.A.orgId);
    const s = await tc.study.create({ projectId: w.A.projectId, spec: spec("enq") });
    const before = await rowCounts(w.db);
    expect(await outcome(() => tc.trial.enqueue({ studyId: s.id, params: { x: 11, act: "relu" } }))).toMatchObject({
      ok: false,
      code: "BAD_REQUEST",
      appCode: "INVALID_PARAMS",
      message: "params: x=11 is outside [-5, 10]",
    });
    expect(await outcome(() => tc.trial.enqueue({ studyId: s.id, params: { x: 1, act: "gelu" } }))).toMatchObject({
      appCode: "INVALID_PARAMS",
      message: 'params: act="gelu" is not one of the choices',
    });
    expect(await outcome(() => tc.trial.enqueue({ studyId: s.id, params: { x: 1 } }))).toMatchObject({
      message: 'params: missing parameter "act"',
    });
    const reader = await w.withToken(w.tokens.readOnlyA);
    expect(await outcome(() => reader.trial.enqueue({ studyId: s.id, params: { x: 1, act: "relu" } }))).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
      appCode: "SCOPE_MISSING",
    });
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect(await outcome(() => viewer.trial.enqueue({ studyId: s.id, params: { x: 1, act: "relu" } }))).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
    expect(await rowCounts(w.db)).toEqual(before);

    const e = await tc.trial.enqueue({ studyId: s.id, params: { x: 2.5, act: "tanh" } });
    expect(e).toMatchObject({ number: 0, params: { x: 2.5, act: "tanh" } });
    const listed = await tc.trial.list({ studyId: s.id });
    expect(listed.items.map((t) => [t.number, t.state, t.proposedBy])).toEqual([[0, "waiting", "enqueued"]]);
    const asked = await tc.trial.ask({ studyId: s.id });
    expect(asked).toMatchObject({ trialId: e.trialId, number: 0, params: { x: 2.5, act: "tanh" } });
    const next = await tc.trial.ask({ studyId: s.id });
    expect(next.number).toBe(1);
    expect((await tc.trial.get({ trialId: next.trialId })).proposedBy).toBe("random");
    const audit = await (await w.as(w.A.ownerId, w.A.orgId)).audit.list({});
    expect(audit.some((a) => a.action === "trial.enqueue" && a.targetId === e.trialId)).toBe(true);
  });
});

describe("warm_start", () => {
  it("starts from a team study with the same objective; another team's study is refused like a missing one", async () => {
    const tc = await w.as(w.A.ownerId, w.A.orgId);
    const src = await tc.study.create({ projectId: w.A.projectId, spec: spec("src") });
    for (const x of [1, 2, 3]) {
      const t = await tc.trial.ask({ studyId: src.id });
      await tc.trial.tell({ trialId: t.trialId, value: x });
    }
    // A value outside the new space (x in [-5, 0]) is skipped, not fed to the sampler.
    await w.db.query(`UPDATE trials SET params = jsonb_set(params, '{x}', '-1') WHERE study_id = $1 AND number < 2`, [src.id]);
    await w.db.query(`UPDATE trials SET params = jsonb_set(params, '{x}', '9') WHERE study_id = $1 AND number = 2`, [src.id]);
    const narrow = { ...SPEC.space, x: { type: "float" as const, low: -5, high: 0 } };
    const warm = await tc.study.create({
      projectId: w.A.projectId,
      spec: spec("warm", { space: narrow, warm_start: { from: src.id } }),
    });
    expect(await tc.study.warmStart({ studyId: warm.id })).toEqual({
      source: { id: src.id, name: expect.stringMatching(/^src-/) },
      trials: 2,
      skipped: 1,
    });
    expect((await tc.trial.list({ studyId: warm.id })).items).toEqual([]);
    expect(await tc.study.warmStart({ studyId: src.id })).toBeNull();

    const before = await rowCounts(w.db);
    const foreign = await outcome(() =>
      tc.study.create({ projectId: w.A.projectId, spec: spec("warm", { warm_start: { from: w.B.studyId } }) }),
    );
    const missing = await outcome(() =>
      tc.study.create({ projectId: w.A.projectId, spec: spec("warm", { warm_start: { from: randomId() } }) }),
    );
    expect(foreign).toEqual(missing);
    expect(foreign).toMatchObject({ ok: false, code: "NOT_FOUND", message: "warm_start.from: Study not found." });
    const other = await outcome(() =>
      tc.study.create({
        projectId: w.A.projectId,
        spec: spec("warm", { objective: { metric: "loss", direction: "maximize" }, warm_start: { from: src.id } }),
      }),
    );
    expect(other).toMatchObject({ ok: false, code: "BAD_REQUEST", appCode: "INVALID_SPEC" });
    expect((other as { message: string }).message).toMatch(
      /^warm_start\.from: the source study "src-\w+" has the objective loss \(minimize\) and this study loss \(maximize\)/,
    );
    const badId = await outcome(() =>
      tc.study.create({ projectId: w.A.projectId, spec: spec("warm", { warm_start: { from: "nope" } }) }),
    );
    expect(badId).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(await rowCounts(w.db)).toEqual(before);
  });
});

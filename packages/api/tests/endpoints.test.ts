/**
 * Inference endpoints through the real router and database: create (alias or fixed version),
 * names unique regardless of case, precise refusals that change nothing, roles, keys (shown once,
 * scope `infer`, useless for the API), the version history, delete, and "Deploy best" from a study.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeZodIssues } from "../src/index.js";
import { makeWorld, outcome, rowCounts, SPEC, storeTrialFile, type Caller, type World } from "./fixture.js";

/** What a client reads: a refusal's message, with schema refusals as the error formatter words them. */
async function refusal(fn: () => Promise<unknown>): Promise<{ code: string; message: string } | null> {
  const o = await outcome(fn);
  if (o.ok) return null;
  const message = o.message.startsWith("[") ? describeZodIssues(JSON.parse(o.message) as []) : o.message;
  return { code: o.code, message };
}

let w: World;
let owner: Caller;
let slug: string;

beforeAll(async () => {
  w = await makeWorld({ publicUrl: "https://ml.example.test" });
  owner = await w.as(w.A.ownerId, w.A.orgId);
  const [org] = await w.db.query<{ slug: string }>("select slug from organizations where id = $1", [w.A.orgId]);
  slug = org!.slug;
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("endpoints", () => {
  it("creates an endpoint following an alias, with its URL, first revision and no replicas yet", async () => {
    const e = await owner.endpoint.create({ name: "Churn-API", model: w.A.modelName, alias: "champion" });
    expect(e).toMatchObject({
      name: "Churn-API",
      model: w.A.modelName,
      alias: "champion",
      fixedVersion: null,
      targetVersion: 1,
      minReplicas: 1,
      maxReplicas: 1,
      resources: { gpus: 0 },
      path: `/serve/${slug}/Churn-API`,
      url: `https://ml.example.test/serve/${slug}/Churn-API`,
      replicaCounts: { pending: 0, starting: 0, ready: 0, draining: 0 },
      protocols: ["mlflow", "kserve-v2"],
      replicas: [],
      keys: [],
      autoscale: { targetConcurrency: 4, scaleDownDelaySeconds: 60 },
      scaling: { concurrency: 0, rps: 0, desiredReplicas: 1, reason: "at minReplicas 1: the load needs no more", history: [] },
    });
    expect(e.revisions).toEqual([{ version: 1, via: "create", movedBy: w.A.ownerEmail, movedAt: expect.any(String) }]);
    const list = await owner.endpoint.list();
    expect(list.map((x) => x.name)).toContain("Churn-API");
  });

  it("refuses a taken name (any case), a missing alias, both alias and version, and min > max, changing nothing", async () => {
    const before = await rowCounts(w.db);
    const taken = await outcome(() => owner.endpoint.create({ name: "churn-api", model: w.A.modelName }));
    expect(taken).toMatchObject({ ok: false, code: "CONFLICT", appCode: "ENDPOINT_NAME_TAKEN" });
    const noAlias = await outcome(() => owner.endpoint.create({ name: "x1", model: w.A.modelName, alias: "nope" }));
    expect(noAlias).toMatchObject({ ok: false, appCode: "NOTHING_TO_SERVE" });
    expect((noAlias as { message: string }).message).toContain('no alias "nope"');
    const both = await outcome(() => owner.endpoint.create({ name: "x2", model: w.A.modelName, alias: "champion", version: 1 }));
    expect(both).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    const sizing = await refusal(() =>
      owner.endpoint.create({ name: "x3", model: w.A.modelName, alias: "champion", minReplicas: 3, maxReplicas: 2 }),
    );
    expect(sizing).toEqual({ code: "BAD_REQUEST", message: "minReplicas (3) must be at most maxReplicas (2)." });
    const badName = await outcome(() => owner.endpoint.create({ name: "a/b", model: w.A.modelName }));
    expect(badName).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("lets viewers read and not write", async () => {
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect((await viewer.endpoint.get({ name: "churn-api" })).name).toBe("Churn-API");
    const r = await outcome(() => viewer.endpoint.update({ name: "Churn-API", minReplicas: 0 }));
    expect(r).toMatchObject({ ok: false, code: "FORBIDDEN", appCode: "ROLE_TOO_LOW" });
  });

  it("pins a fixed version and records who moved it", async () => {
    const member = await w.as(w.memberA.userId, w.A.orgId);
    const e = await member.endpoint.update({ name: "Churn-API", version: 1, minReplicas: 2, maxReplicas: 3 });
    expect(e).toMatchObject({ alias: null, fixedVersion: 1, targetVersion: 1, minReplicas: 2, maxReplicas: 3 });
    // Same version: no new revision.
    expect(e.revisions).toHaveLength(1);
    const [audit] = await w.db.query<{ action: string }>(
      "select action from audit_log where org_id = $1 and target_type = 'endpoint' order by id desc limit 1",
      [w.A.orgId],
    );
    expect(audit!.action).toBe("endpoint.update");
  });

  it("stores autoscale settings, and refuses a target ≤ 0, a negative delay or min > max precisely, changing nothing", async () => {
    const e = await owner.endpoint.update({
      name: "Churn-API",
      autoscale: { targetConcurrency: 2.5, scaleDownDelaySeconds: 30 },
    });
    expect(e).toMatchObject({ minReplicas: 2, maxReplicas: 3, autoscale: { targetConcurrency: 2.5, scaleDownDelaySeconds: 30 } });
    expect(e.scaling).toMatchObject({ desiredReplicas: 2, reason: "at minReplicas 2: the load needs no more" });
    // The list counts ready replicas against the autoscaler's count, not against min.
    const listed = (await owner.endpoint.list()).find((x) => x.name === "Churn-API");
    expect(listed).toMatchObject({ minReplicas: 2, desiredReplicas: 2 });
    const before = await rowCounts(w.db);
    const cases: Array<[Parameters<typeof owner.endpoint.update>[0], string]> = [
      [{ name: "Churn-API", autoscale: { targetConcurrency: 0 } }, "autoscale.targetConcurrency: must be greater than 0"],
      [{ name: "Churn-API", autoscale: { targetConcurrency: -1 } }, "autoscale.targetConcurrency: must be greater than 0"],
      [
        { name: "Churn-API", autoscale: { scaleDownDelaySeconds: -5 } },
        "autoscale.scaleDownDelaySeconds: Number must be greater than or equal to 0",
      ],
      [{ name: "Churn-API", minReplicas: 3, maxReplicas: 2 }, "minReplicas (3) must be at most maxReplicas (2)."],
      [{ name: "Churn-API", maxReplicas: 1 }, "minReplicas (2) must be at most maxReplicas (1)."],
    ];
    for (const [input, message] of cases) {
      expect(await refusal(() => owner.endpoint.update(input))).toEqual({ code: "BAD_REQUEST", message });
    }
    const created = await refusal(() =>
      owner.endpoint.create({ name: "x4", model: w.A.modelName, alias: "champion", autoscale: { targetConcurrency: 0 } }),
    );
    expect(created).toEqual({ code: "BAD_REQUEST", message: "autoscale.targetConcurrency: must be greater than 0" });
    expect(await rowCounts(w.db)).toEqual(before);
    const after = await owner.endpoint.get({ name: "Churn-API" });
    expect(after).toMatchObject({
      minReplicas: 2,
      maxReplicas: 3,
      autoscale: { targetConcurrency: 2.5, scaleDownDelaySeconds: 30 },
    });
    expect(after.updatedAt).toBe(e.updatedAt);
  });

  it("gives keys that are shown once, open nothing in the API, and can be revoked", async () => {
    const k = await owner.endpoint.keyCreate({ endpoint: "Churn-API", keyName: "svc" });
    expect(k.key).toMatch(/^agl_/);
    const e = await owner.endpoint.get({ name: "Churn-API" });
    expect(e.keys).toEqual([expect.objectContaining({ id: k.id, name: "svc", prefix: k.prefix, revokedAt: null })]);
    expect(JSON.stringify(e)).not.toContain(k.key);
    const asKey = await w.withToken(k.key);
    expect(await outcome(() => asKey.endpoint.list())).toMatchObject({ ok: false, code: "FORBIDDEN", appCode: "SCOPE_MISSING" });
    await owner.endpoint.keyRevoke({ endpoint: "Churn-API", keyId: k.id });
    expect((await owner.endpoint.get({ name: "Churn-API" })).keys[0]!.revokedAt).not.toBeNull();
    const again = await outcome(() => owner.endpoint.keyRevoke({ endpoint: "Churn-API", keyId: k.id }));
    expect(again).toMatchObject({ ok: false, code: "NOT_FOUND", message: "Endpoint key not found." });
  });

  it("issues team-wide infer tokens", async () => {
    const t = await owner.token.create({ name: "infer-all", scopes: ["infer"] });
    expect(t.token).toMatch(/^agl_/);
  });

  it("deletes: keys revoked, the endpoint gone, its name free again", async () => {
    const k = await owner.endpoint.keyCreate({ endpoint: "Churn-API" });
    await owner.endpoint.delete({ name: "Churn-API" });
    expect(await outcome(() => owner.endpoint.get({ name: "Churn-API" }))).toMatchObject({ ok: false, code: "NOT_FOUND" });
    const [row] = await w.db.query<{ revoked_at: Date | null }>("select revoked_at from api_tokens where id = $1", [k.id]);
    expect(row!.revoked_at).not.toBeNull();
    const again = await owner.endpoint.create({ name: "churn-api", model: w.A.modelName, alias: "champion" });
    expect(again.name).toBe("churn-api");
  });

  it("deploys a study's best trial: registers it, moves production, creates the endpoint with a key; again: same version, no key", async () => {
    const study = await owner.study.create({ projectId: w.A.projectId, spec: { ...SPEC, name: "Digits MLP (v2)" } });
    const tc = await w.withToken(w.A.token);
    const { trialId } = await tc.trial.ask({ studyId: study.id });
    await tc.trial.tell({ trialId, value: 0.5 });
    await storeTrialFile(w.db, w.artifacts, trialId, "model.onnx", Buffer.from("weights"));
    const first = await owner.endpoint.deploy({ studyId: study.id });
    expect(first).toMatchObject({
      created: true,
      model: "Digits-MLP-v2",
      version: 1,
      url: `https://ml.example.test/serve/${slug}/Digits-MLP-v2`,
      protocols: ["mlflow", "kserve-v2"],
      endpoint: { alias: "production", targetVersion: 1 },
    });
    expect(first.key).toMatch(/^agl_/);
    expect(first.endpoint.revisions).toEqual([expect.objectContaining({ version: 1, via: "deploy" })]);
    const resolved = await owner.model.resolve({ ref: "models:/Digits-MLP-v2@production" });
    expect(resolved.version).toBe(1);
    const second = await owner.endpoint.deploy({ studyId: study.id });
    expect(second).toMatchObject({ created: false, version: 1, key: null });
    const versions = await w.db.query("select 1 from model_versions v join models m on m.id = v.model_id where m.name = $1", [
      "Digits-MLP-v2",
    ]);
    expect(versions).toHaveLength(1);
  });

  it("refuses to deploy a study without a best trial", async () => {
    const study = await owner.study.create({ projectId: w.A.projectId, spec: { ...SPEC, name: "empty" } });
    const r = await outcome(() => owner.endpoint.deploy({ studyId: study.id }));
    expect(r).toMatchObject({ ok: false, appCode: "NOTHING_TO_SERVE" });
  });
});

describe("what endpoints can serve", () => {
  it("lists only OpenAI for a builtin glm language model, MLflow and KServe v2 for a tabular glm", async () => {
    const deployGlm = async (dataset: "shakespeare" | "diabetes") => {
      const study = await owner.study.create({
        projectId: w.A.projectId,
        spec: {
          ...SPEC,
          name: `glm-${dataset}`,
          objective: { metric: "val_loss", direction: "minimize" },
          run: { builtin: { trainer: "glm", dataset } },
        },
      });
      const tc = await w.withToken(w.A.token);
      const { trialId } = await tc.trial.ask({ studyId: study.id });
      await tc.trial.tell({ trialId, value: 0.5 });
      await storeTrialFile(w.db, w.artifacts, trialId, "model.safetensors", Buffer.from("weights"));
      await storeTrialFile(w.db, w.artifacts, trialId, "builtin.json", Buffer.from(JSON.stringify({ trainer: "glm", dataset })));
      return owner.endpoint.deploy({ studyId: study.id });
    };
    const lm = await deployGlm("shakespeare");
    expect([lm.protocols, lm.endpoint.protocols]).toEqual([["openai"], ["openai"]]);
    expect((await owner.endpoint.get({ name: lm.endpoint.name })).protocols).toEqual(["openai"]);
    const linear = await deployGlm("diabetes");
    expect([linear.protocols, (await owner.endpoint.get({ name: linear.endpoint.name })).protocols]).toEqual([
      ["mlflow", "kserve-v2"],
      ["mlflow", "kserve-v2"],
    ]);
  });

  it("refuses files no replica can load (flavor `files`), at deploy before registering anything, and at create", async () => {
    const study = await owner.study.create({ projectId: w.A.projectId, spec: { ...SPEC, name: "opaque" } });
    const tc = await w.withToken(w.A.token);
    const { trialId } = await tc.trial.ask({ studyId: study.id });
    await tc.trial.tell({ trialId, value: 0.5 });
    await storeTrialFile(w.db, w.artifacts, trialId, "weights.bin", Buffer.from("opaque"));
    const before = await rowCounts(w.db);
    const r = await outcome(() => owner.endpoint.deploy({ studyId: study.id }));
    expect(r).toMatchObject({ ok: false, code: "PRECONDITION_FAILED", appCode: "MODEL_NOT_SERVABLE" });
    expect((r as { message: string }).message).toContain('flavor "files"');
    expect(await rowCounts(w.db)).toEqual(before);
    await owner.model.register({ trialId, name: "opaque", alias: "production" });
    const c = await outcome(() => owner.endpoint.create({ name: "opaque", model: "opaque" }));
    expect(c).toMatchObject({ ok: false, appCode: "MODEL_NOT_SERVABLE" });
  });
});

/**
 * The model registry through the real router, a real database and a real local artifact store:
 * registering a trial's files (digest recomputed here from the stored bytes), version numbers,
 * names, aliases, soft deletes, `models:/` references, roles, a tampered store, the webhook outbox.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, outcome, rowCounts, SPEC, storeTrialFile, type Caller, type World } from "./fixture.js";

let w: World;
let owner: Caller;
let trialId: string;
const files = {
  "model.bin": Buffer.alloc(200_000, 7),
  "sub/notes.txt": Buffer.from("trained\n"),
  "Z-upper.txt": Buffer.from("z"),
};

beforeAll(async () => {
  w = await makeWorld();
  owner = await w.as(w.A.ownerId, w.A.orgId);
  const study = await owner.study.create({
    projectId: w.A.projectId,
    spec: { ...SPEC, name: "reg", run: { command: "python3 train.py", env: { HF_TOKEN: "hf_secret_value_123" } } },
  });
  const tc = await w.withToken(w.A.token);
  trialId = (await tc.trial.ask({ studyId: study.id })).trialId;
  await tc.trial.report({ trialId, step: 3, value: 0.9 });
  // The API's report carries one value; an agent's metric line carries several (agent-metrics.ts).
  await w.db.query(`update trial_values set metrics = '{"loss": 0.9, "acc": 0.7}'::jsonb where trial_id = $1`, [trialId]);
  await tc.trial.tell({ trialId, value: 0.25 });
  for (const [name, body] of Object.entries(files)) await storeTrialFile(w.db, w.artifacts, trialId, name, body);
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** The digest as README "Model registry" tells a user to compute it, from the bytes in the store. */
async function recomputedDigest(names: string[]): Promise<string> {
  const manifest = [];
  for (const name of [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const [row] = await w.db.query<{ store_key: string }>(
      "select store_key from trial_artifacts where trial_id = $1 and name = $2",
      [trialId, name],
    );
    const chunks: Buffer[] = [];
    for await (const c of await w.artifacts.get(row!.store_key)) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    manifest.push(`{"name":${JSON.stringify(name)},"size":${bytes.length},"sha256":"${sha(bytes)}"}`);
  }
  return sha(`[${manifest.join(",")}]`);
}

describe("model registry", () => {
  it("registers a trial's files as version 1, then 2, with digest, flavor, metrics and a masked lineage", async () => {
    const v1 = await owner.model.register({ trialId, name: "churn", description: "first cut" });
    expect(v1).toMatchObject({
      model: "churn",
      version: 1,
      uri: "models:/churn/1",
      flavor: "files",
      signature: null,
      aliases: [],
    });
    expect(v1.files.map((f) => f.name)).toEqual(["Z-upper.txt", "model.bin", "sub/notes.txt"]);
    expect(v1.files[1]).toMatchObject({ sizeBytes: 200_000, sha256: sha(files["model.bin"]) });
    expect(v1.files[1]!.downloadUrl).toBe(`/api/models/churn/versions/1/files/model.bin?org=${w.A.orgId}`);
    expect(v1.digest).toBe(await recomputedDigest(Object.keys(files)));
    expect(v1.totalBytes).toBe(200_000 + 8 + 1);
    expect(v1.metrics).toEqual({ loss: 0.25, acc: 0.7 });
    expect(v1.lineage).toMatchObject({
      study: { name: "reg" },
      trial: { id: trialId, number: 0, state: "complete" },
      attempt: 1,
      objective: { metric: "loss", direction: "minimize" },
      finalMetrics: { value: 0.25, last: { step: 3, metrics: { loss: 0.9, acc: 0.7 } } },
      run: { command: "python3 train.py", env: { HF_TOKEN: "••••••" } },
      registeredBy: { email: "owner-a@x.test", tokenId: null },
    });
    expect(JSON.stringify(v1)).not.toContain("hf_secret_value_123");
    const v2 = await (await w.withToken(w.A.token)).model.register({ trialId, name: "churn", alias: "champion" });
    expect(v2).toMatchObject({ version: 2, digest: v1.digest, aliases: ["champion"] });
    expect(v2.lineage.registeredBy).toMatchObject({ tokenName: "tok-a" });
    const audit = await w.db.query<{ action: string; details: Record<string, unknown> }>(
      "select action, details from audit_log where org_id = $1 and action like 'model.%' order by id",
      [w.A.orgId],
    );
    expect(audit.slice(-3).map((a) => a.action)).toEqual(["model.version.create", "model.version.create", "model.alias.move"]);
    expect(audit.at(-1)!.details).toMatchObject({ model: "churn", alias: "champion", from: null, to: 2 });
    const listed = (await owner.model.list()).find((m) => m.name === "churn");
    expect(listed).toMatchObject({ versionCount: 2, latest: { version: 2 }, aliases: [{ alias: "champion", version: 2 }] });
    expect(listed!.best).toEqual({ version: 1, metric: "loss", direction: "minimize", value: 0.25 });
  });

  it("refuses bad names, a case-only twin, an unknown trial and a trial with no files, storing nothing", async () => {
    const before = await rowCounts(w.db);
    for (const name of ["a/b", "", "-lead", "x".repeat(65), "sp ace", "at@sign"]) {
      const r = await outcome(() => owner.model.register({ trialId, name }));
      expect(r, name).toMatchObject({ ok: false, code: "BAD_REQUEST" });
      expect((r as { message: string }).message, name).toMatch(/is required|at most 64 characters|must be letters, digits/);
    }
    const twin = await outcome(() => owner.model.register({ trialId, name: "CHURN" }));
    expect(twin).toMatchObject({ ok: false, code: "CONFLICT", appCode: "MODEL_NAME_TAKEN" });
    expect((twin as { message: string }).message).toContain('model named "churn"');
    expect(await outcome(() => owner.model.register({ trialId: w.B.completeTrialId, name: "x" }))).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
      message: "Trial not found.",
    });
    const empty = await outcome(() => owner.model.register({ trialId: w.A.runningTrialId, name: "x" }));
    expect(empty).toMatchObject({ ok: false, code: "BAD_REQUEST", appCode: "NO_ARTIFACTS" });
    expect((empty as { message: string }).message).toContain(
      `trial #1 (${w.A.runningTrialId}) of study "quad" has no uploaded files`,
    );
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("moves aliases (only to live versions), refuses deleting an aliased version, and resolves every models:/ form", async () => {
    const before = await rowCounts(w.db);
    const missing = await outcome(() => owner.model.setAlias({ name: "churn", alias: "production", version: 9 }));
    expect(missing).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
      message: 'Model "churn" has no version 9 for alias "production" to point at.',
    });
    const aliased = await outcome(() => owner.model.deleteVersion({ name: "churn", version: 2 }));
    expect(aliased).toMatchObject({ ok: false, code: "CONFLICT", appCode: "MODEL_VERSION_ALIASED" });
    expect((aliased as { message: string }).message).toContain('alias "champion" points at it');
    expect(await rowCounts(w.db)).toEqual(before);

    expect(await owner.model.setAlias({ name: "churn", alias: "production", version: 1 })).toEqual({
      model: "churn",
      alias: "production",
      version: 1,
      previousVersion: null,
    });
    for (const [ref, version] of [
      ["models:/churn@production", 1],
      ["churn@champion", 2],
      ["models:/churn/1", 1],
      ["churn/2", 2],
      ["models:/churn", 2],
      ["churn/latest", 2],
    ] as const) {
      const r = await owner.model.resolve({ ref });
      expect(r.version, ref).toBe(version);
    }
    const bad = await outcome(() => owner.model.resolve({ ref: "models:/churn/zero" }));
    expect(bad).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(await outcome(() => owner.model.resolve({ ref: "churn@nope" }))).toMatchObject({
      code: "NOT_FOUND",
      message: 'Model "churn" has no alias "nope".',
    });

    const cmp = await owner.model.compare({ a: "churn/1", b: "churn@champion" });
    expect(cmp.a.version).toBe(1);
    expect(cmp.metrics).toContainEqual({ name: "loss", a: 0.25, b: 0.25, differs: false });

    await owner.model.removeAlias({ name: "churn", alias: "production" });
    expect(await owner.model.deleteVersion({ name: "churn", version: 1 })).toEqual({ ok: true });
    expect(await outcome(() => owner.model.resolve({ ref: "churn/1" }))).toMatchObject({
      code: "NOT_FOUND",
      message: 'Version 1 of model "churn" was deleted.',
    });
    const detail = await owner.model.get({ name: "models:/churn@champion" });
    expect(detail.versions.map((v) => [v.version, v.deletedAt !== null])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect((await owner.model.list()).find((m) => m.name === "churn")!.versionCount).toBe(1);
    // Numbers are never reused.
    expect((await owner.model.register({ trialId, name: "churn" })).version).toBe(3);
  });

  it("a viewer and a read-only token read but cannot register or move aliases", async () => {
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect((await viewer.model.resolve({ ref: "churn@champion" })).version).toBe(2);
    expect(await outcome(() => viewer.model.register({ trialId, name: "viewer-model" }))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "ROLE_TOO_LOW",
    });
    const ro = await w.withToken(w.tokens.readOnlyA);
    expect((await ro.model.get({ name: "churn" })).name).toBe("churn");
    expect(await outcome(() => ro.model.setAlias({ name: "churn", alias: "x", version: 2 }))).toMatchObject({
      code: "FORBIDDEN",
      appCode: "SCOPE_MISSING",
    });
  });

  it("edits a model's description and tags (members only), refusing bad tags without storing anything", async () => {
    const updated = await owner.model.update({
      name: "churn",
      description: "Churn classifier",
      tags: ["tabular", "team:growth", "tabular"],
    });
    expect(updated).toMatchObject({ name: "churn", description: "Churn classifier", tags: ["tabular", "team:growth"] });
    expect(await owner.model.get({ name: "churn" })).toMatchObject({
      description: "Churn classifier",
      tags: ["tabular", "team:growth"],
    });
    const before = await rowCounts(w.db);
    const bad = await outcome(() => owner.model.update({ name: "churn", tags: ["ok", "has space"] }));
    expect(bad).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(JSON.parse((bad as { message: string }).message)).toMatchObject([
      { path: ["tags", 1], message: expect.stringContaining("must be letters, digits") },
    ]);
    expect(await outcome(() => owner.model.update({ name: "churn" }))).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect(await outcome(() => viewer.model.update({ name: "churn", tags: [] }))).toMatchObject({ code: "FORBIDDEN" });
    expect(await rowCounts(w.db)).toEqual(before);
    expect((await owner.model.get({ name: "churn" })).tags).toEqual(["tabular", "team:growth"]);
    const cleared = await owner.model.update({ name: "churn", description: null, tags: [] });
    expect(cleared).toMatchObject({ description: null, tags: [] });
  });

  it("refuses to register a file whose stored bytes changed, naming it, storing nothing", async () => {
    const other = (await (await w.withToken(w.A.token)).trial.ask({ studyId: w.A.studyId })).trialId;
    const { storeKey } = await storeTrialFile(w.db, w.artifacts, other, "weights.bin", Buffer.from("original"));
    writeFileSync(path.join(w.artifacts.root, storeKey), "tampered");
    const before = await rowCounts(w.db);
    const r = await outcome(() => owner.model.register({ trialId: other, name: "tampered" }));
    expect(r).toMatchObject({ ok: false, code: "CONFLICT", appCode: "ARTIFACT_TAMPERED" });
    expect((r as { message: string }).message).toContain('File "weights.bin" of trial #');
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("writes webhook outbox rows for a new version and an alias move, in the same transaction", async () => {
    const [hook] = await w.db.query<{ id: string }>(
      `insert into webhooks (org_id, url, secret_ciphertext, events) values ($1, 'https://93.184.215.14/reg', 'x',
        array['model_version.created', 'model_alias.moved']) returning id`,
      [w.A.orgId],
    );
    const v = await owner.model.register({ trialId, name: "hooked", alias: "candidate" });
    const rows = await w.db.query<{ event: string; body: string }>(
      "select event, body from webhook_deliveries where webhook_id = $1 order by created_at, event desc",
      [hook!.id],
    );
    expect(rows.map((r) => r.event)).toEqual(["model_version.created", "model_alias.moved"]);
    const created = JSON.parse(rows[0]!.body) as { data: Record<string, unknown> };
    expect(created.data).toMatchObject({
      model: "hooked",
      version: 1,
      digest: v.digest,
      uri: "models:/hooked/1",
      trial: { id: trialId, attempt: 1 },
      alias: "candidate",
    });
    expect(JSON.parse(rows[1]!.body).data).toMatchObject({
      model: "hooked",
      alias: "candidate",
      from_version: null,
      to_version: 1,
    });
  });

  it("a builtin mlp trial registers as builtin-mlp with the signature builtin.json describes", async () => {
    const study = await owner.study.create({
      projectId: w.A.projectId,
      spec: {
        name: "mlp",
        objective: { metric: "val_accuracy", direction: "maximize" },
        space: { lr: { type: "float", low: 0.001, high: 0.1, log: true } },
        budget: { max_trials: 2, max_parallel: 1 },
        run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 1 } },
      },
    });
    const tc = await w.withToken(w.A.token);
    const t = (await tc.trial.ask({ studyId: study.id })).trialId;
    const config = { task: "classification", inputs: 64, outputs: 10, layers: 2 };
    await storeTrialFile(w.db, w.artifacts, t, "builtin.json", Buffer.from(JSON.stringify({ trainer: "mlp", config })));
    await storeTrialFile(w.db, w.artifacts, t, "model.safetensors", Buffer.from("safetensors bytes"));
    const v = await owner.model.register({ trialId: t, name: "digits-mlp" });
    expect(v.flavor).toBe("builtin-mlp");
    expect(v.signature).toEqual({ inputs: { dtype: "float32", shape: [-1, 64] }, outputs: { task: "classification", size: 10 } });
  });

  it("a project-restricted token sees only its project's models", async () => {
    const other = await owner.project.create({ name: "elsewhere" });
    const s = await owner.study.create({ projectId: other.id, spec: { ...SPEC, name: "elsewhere" } });
    const t = (await (await w.withToken(w.A.token)).trial.ask({ studyId: s.id })).trialId;
    await storeTrialFile(w.db, w.artifacts, t, "m.bin", Buffer.from("m"));
    await owner.model.register({ trialId: t, name: "elsewhere-model" });
    const tok = await owner.token.create({ name: "restricted-models", scopes: ["read", "write"], projectId: w.A.projectId });
    const rc = await w.withToken(tok.token);
    expect((await rc.model.list()).map((m) => m.name)).not.toContain("elsewhere-model");
    expect((await rc.model.list()).map((m) => m.name)).toContain("churn");
    expect(await outcome(() => rc.model.get({ name: "elsewhere-model" }))).toEqual(
      await outcome(() => rc.model.get({ name: "never-was" })),
    );
  });
});

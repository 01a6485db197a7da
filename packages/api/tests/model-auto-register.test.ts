/**
 * The spec's `register: {model, alias}` through the real router, database and local store: each
 * new best trial becomes a version and the alias follows it; a best already registered only moves
 * the alias; a best without files is retried later, never registered empty.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelAutoRegister } from "../src/index.js";
import { makeWorld, SPEC, storeTrialFile, type Caller, type World } from "./fixture.js";

let w: World;
let owner: Caller;
let tokenCaller: Caller;
let studyId: string;

beforeAll(async () => {
  w = await makeWorld();
  owner = await w.as(w.A.ownerId, w.A.orgId);
  tokenCaller = await w.withToken(w.A.token);
  const study = await owner.study.create({
    projectId: w.A.projectId,
    spec: { ...SPEC, name: "auto-reg", run: { command: "python3 train.py" }, register: { model: "auto-m", alias: "champion" } },
  });
  studyId = study.id;
}, 120_000);
afterAll(async () => {
  await w?.close();
});

async function trialWith(value: number, file: string | null): Promise<string> {
  const { trialId } = await tokenCaller.trial.ask({ studyId });
  if (file !== null) await storeTrialFile(w.db, w.artifacts, trialId, "model.bin", Buffer.from(file));
  await tokenCaller.trial.tell({ trialId, value });
  return trialId;
}

describe("register: in the study spec", () => {
  it("makes each new best a version and moves the alias to it", async () => {
    const reg = new ModelAutoRegister({ db: w.db, artifacts: w.artifacts });
    const first = await trialWith(0.5, "weights one");
    expect(await reg.pass()).toMatchObject([{ studyId, model: "auto-m", alias: "champion", version: 1, created: true }]);
    await trialWith(0.9, "worse weights");
    // The best did not change: nothing to do.
    expect(await reg.pass()).toEqual([]);
    const second = await trialWith(0.1, "weights two");
    expect(await reg.pass()).toMatchObject([{ version: 2, created: true }]);
    const model = await owner.model.get({ name: "auto-m" });
    expect(model.aliases.map((a) => [a.alias, a.version])).toEqual([["champion", 2]]);
    expect(model.versions.map((v) => [v.version, v.trialId])).toEqual([
      [1, first],
      [2, second],
    ]);
    expect(model.versions[1]!.lineage.registeredBy).toMatchObject({ userId: w.A.ownerId });
  });

  it("only moves the alias when the best is already a version, and waits for a best without files", async () => {
    const reg = new ModelAutoRegister({ db: w.db, artifacts: w.artifacts });
    await owner.model.setAlias({ name: "auto-m", alias: "champion", version: 1 });
    expect(await reg.pass()).toMatchObject([{ version: 2, created: false }]);
    expect((await owner.model.get({ name: "auto-m" })).versions).toHaveLength(2);

    const bare = await trialWith(0.01, null);
    const t0 = Date.now();
    expect(await reg.pass(t0)).toEqual([]);
    // Its files arrive later (as a slow upload would): retried after the back-off, not before.
    await storeTrialFile(w.db, w.artifacts, bare, "model.bin", Buffer.from("late weights"));
    expect(await reg.pass(t0 + 1_000)).toEqual([]);
    expect(await reg.pass(t0 + 11 * 60_000)).toMatchObject([{ version: 3, created: true }]);
  });
});

/**
 * study.get's storage figures, what the study page's header shows ("1.2 GiB in 314 files"):
 * the bytes and files every attempt of the study's trials holds in the artifact store, and
 * only this study's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorld, type World } from "./fixture.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

async function addFile(orgId: string, trialId: string, attempt: number, name: string, sizeBytes: number): Promise<void> {
  await w.db.query(
    `INSERT INTO trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [orgId, trialId, attempt, name, sizeBytes, "0".repeat(64), `k/${trialId}/${attempt}/${name}`],
  );
}

describe("study.get storage", () => {
  it("sums the sizes and counts the files of every attempt of the study's trials, no other study's", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const before = await owner.study.get({ studyId: w.A.studyId });
    expect([before.storageBytes, before.storageFiles]).toEqual([0, 0]);

    await addFile(w.A.orgId, w.A.runningTrialId, 1, "model.safetensors", 3_000_000_000);
    await addFile(w.A.orgId, w.A.runningTrialId, 2, "model.safetensors", 1_000);
    await addFile(w.A.orgId, w.A.completeTrialId, 1, "builtin.json", 24);
    await addFile(w.B.orgId, w.B.completeTrialId, 1, "other-team.bin", 7);

    const after = await owner.study.get({ studyId: w.A.studyId });
    expect([after.storageBytes, after.storageFiles]).toEqual([3_000_001_024, 3]);
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    expect((await viewer.study.get({ studyId: w.A.studyId })).storageFiles).toBe(3);
    const b = await w.as(w.B.ownerId, w.B.orgId);
    const other = await b.study.get({ studyId: w.B.studyId });
    expect([other.storageBytes, other.storageFiles]).toEqual([7, 1]);
  });
});

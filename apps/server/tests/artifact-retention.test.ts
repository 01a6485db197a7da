/**
 * ARTIFACT_RETENTION_DAYS on a real database and a real local-directory store: the files of an
 * old attempt that no model version references are deleted (object and row); a version's files
 * (soft-deleted versions included), recent files and a still-running attempt's are kept; 0
 * keeps everything. The server sweeps once shortly after it starts and counts what it freed.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactKey, LocalDirStore } from "@autoglm/artifacts";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedRunStudy, seedTeam, type TeamFixture } from "@autoglm/scheduler/testing";
import { startArtifactRetention, type ArtifactRetentionConfig } from "../src/artifact-retention.js";
import { loadEnv } from "../src/env.js";
import { createServerLogger } from "../src/server-logger.js";
import { startServer } from "../src/server.js";

const FAST: Omit<ArtifactRetentionConfig, "days"> = {
  intervalMs: 3_600_000,
  startDelayMs: 3_600_000,
  batchAttempts: 2,
  maxBatches: 50,
};

let db: TestDb;
let dataDir: string;
let store: LocalDirStore;
let team: TeamFixture;
let studyId: string;
const logLines: string[] = [];
const logger = createServerLogger({ LOG_FORMAT: "json", LOG_LEVEL: "info" }, (line) => logLines.push(line));

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-retention-test-"));
  store = new LocalDirStore(path.join(dataDir, "artifacts"));
  team = await seedTeam(db, "retention");
  studyId = await seedRunStudy(db, team, { run: { command: "true" } });
}, 120_000);

afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface TSeeded {
  trialId: string;
  attempt: number;
  keys: string[];
}

let trialNumber = 0;

/** A trial at `attempt` in `state` whose files (in the store and as rows) were uploaded `ageDays` ago. */
async function trialWithFiles(ageDays: number, options: { attempt?: number; state?: string; names?: string[] } = {}) {
  const attempt = options.attempt ?? 1;
  const [trial] = await db.query<{ id: string }>(
    `INSERT INTO trials (org_id, study_id, number, state, params, attempt) VALUES ($1, $2, $3, $4, '{}', $5) RETURNING id`,
    [team.orgId, studyId, trialNumber++, options.state ?? "complete", attempt],
  );
  return filesOf(String(trial!.id), attempt, ageDays, options.names);
}

async function filesOf(
  trialId: string,
  attempt: number,
  ageDays: number,
  names = ["model.safetensors", "model.safetensors.bak"],
) {
  const owner = { teamId: team.orgId, projectId: team.projectId, studyId, trialId, attempt };
  const keys: string[] = [];
  for (const name of names) {
    const key = artifactKey(owner, name);
    const bytes = Buffer.from(`${name} of ${trialId}/${attempt}\n`);
    await store.put(key, Readable.from([bytes]));
    await db.query(
      `INSERT INTO trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() - $8 * interval '1 day')`,
      [team.orgId, trialId, attempt, name, bytes.length, "0".repeat(64), key, ageDays],
    );
    keys.push(key);
  }
  return { trialId, attempt, keys } satisfies TSeeded;
}

/** A model version of the team registered from the trial's attempt (soft-deleted when `deleted`). */
async function registerVersion(seeded: TSeeded, options: { deleted?: boolean } = {}): Promise<void> {
  const [model] = await db.query<{ id: string }>(`INSERT INTO models (org_id, name) VALUES ($1, $2) RETURNING id`, [
    team.orgId,
    `m-${randomUUID().slice(0, 8)}`,
  ]);
  const files = seeded.keys.map((storeKey) => ({
    name: path.basename(storeKey),
    sizeBytes: 1,
    sha256: "0".repeat(64),
    storeKey,
  }));
  await db.query(
    `INSERT INTO model_versions (org_id, model_id, version, flavor, files, digest, total_bytes, study_id, trial_id, attempt,
       lineage, deleted_at)
     VALUES ($1, $2, 1, 'files', $3::jsonb, $4, $5, $6, $7, $8, '{}'::jsonb, $9)`,
    [
      team.orgId,
      model!.id,
      JSON.stringify(files),
      "1".repeat(64),
      files.length,
      studyId,
      seeded.trialId,
      seeded.attempt,
      options.deleted ? new Date().toISOString() : null,
    ],
  );
}

async function rowsOf(seeded: TSeeded): Promise<number> {
  const [r] = await db.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM trial_artifacts WHERE trial_id = $1 AND attempt = $2`,
    [seeded.trialId, seeded.attempt],
  );
  return Number(r!.n);
}

function filesExist(seeded: TSeeded): boolean[] {
  return seeded.keys.map((key) => existsSync(path.join(store.root, key)));
}

describe("artifact retention", () => {
  it("deletes an old unreferenced attempt's files and rows; keeps referenced, soft-deleted-referenced, recent and running ones", async () => {
    const old = await trialWithFiles(40);
    const oldToo = await trialWithFiles(31);
    const registered = await trialWithFiles(90);
    await registerVersion(registered);
    const softDeleted = await trialWithFiles(90);
    await registerVersion(softDeleted, { deleted: true });
    const recent = await trialWithFiles(5);
    const running = await trialWithFiles(60, { attempt: 2, state: "running" });
    // One trial, two attempts: only the registered attempt's files stay.
    const retried = await trialWithFiles(60, { attempt: 2 });
    const firstTry = await filesOf(retried.trialId, 1, 70);
    await registerVersion(retried);
    // An attempt with one old and one fresh file is not yet due.
    const mixed = await trialWithFiles(50, { names: ["a.bin"] });
    const mixedFresh = await filesOf(mixed.trialId, 1, 1, ["b.bin"]);
    const deleted: number[] = [];

    const retention = startArtifactRetention({
      db,
      store,
      config: { days: 30, ...FAST },
      logger,
      onDeleted: (files) => deleted.push(files),
    });
    const result = await retention.sweepNow();
    await retention.stop();

    expect(result).toEqual({ swept: true, attempts: 3, files: 6, bytes: expect.any(Number) });
    for (const gone of [old, oldToo, firstTry]) {
      expect(await rowsOf(gone)).toBe(0);
      expect(filesExist(gone)).toEqual([false, false]);
    }
    for (const kept of [registered, softDeleted, recent, running, retried]) {
      expect(await rowsOf(kept)).toBe(2);
      expect(filesExist(kept)).toEqual([true, true]);
    }
    expect(await rowsOf(mixed)).toBe(2);
    expect([...filesExist(mixed), ...filesExist(mixedFresh)]).toEqual([true, true]);
    // Batches of 2 attempts: 2, then 1.
    expect(deleted).toEqual([4, 2]);
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => /retention/.test(String(l.msg)));
    expect(line).toMatchObject({ attempts: 3, files: 6, bytesFreed: result.bytes, retentionDays: 30 });
    // The attempt directories went with their files.
    expect(existsSync(path.dirname(path.join(store.root, old.keys[0]!)))).toBe(false);
  });

  let ancient: TSeeded;
  it("ARTIFACT_RETENTION_DAYS=0 keeps every file, however old", async () => {
    ancient = await trialWithFiles(3650);
    const retention = startArtifactRetention({ db, store, config: { days: 0, ...FAST }, logger });
    expect(await retention.sweepNow()).toEqual({ swept: true, attempts: 0, files: 0, bytes: 0 });
    await retention.stop();
    expect(await rowsOf(ancient)).toBe(2);
    expect(filesExist(ancient)).toEqual([true, true]);
  });

  it("the setting is a whole number of days, 30 by default; anything else stops the start with its name", () => {
    expect(loadEnv({}, {}).ARTIFACT_RETENTION_DAYS).toBe(30);
    expect(loadEnv({}, { ARTIFACT_RETENTION_DAYS: "0" }).ARTIFACT_RETENTION_DAYS).toBe(0);
    for (const bad of ["-1", "1.5", "thirty"]) {
      expect(() => loadEnv({}, { ARTIFACT_RETENTION_DAYS: bad })).toThrow(/ARTIFACT_RETENTION_DAYS: must be/);
    }
  });

  it("the server sweeps shortly after it starts and counts what it freed on /metrics", async () => {
    const old = await trialWithFiles(45);
    const server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db,
      dataDir,
      log: () => {},
      metricsToken: "retention-metrics-token",
      env: { ARTIFACT_RETENTION_DAYS: "30" },
      artifactRetention: { startDelayMs: 50 },
    });
    try {
      for (const deadline = Date.now() + 20_000; (await rowsOf(old)) > 0 && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // The previous test's ten-year-old attempt goes in the same sweep: 2 + 2 files.
      for (const gone of [old, ancient]) {
        expect(await rowsOf(gone)).toBe(0);
        expect(filesExist(gone)).toEqual([false, false]);
      }
      const text = await (
        await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer retention-metrics-token" } })
      ).text();
      expect(text).toMatch(/^autoglm_artifacts_expired_files_total 4$/m);
    } finally {
      await server.close();
    }
  });
});

import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { ZTrialLease } from "@autoglm/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedAgent, seedRunStudy, seedTeam, seedWaitingTrials, type TeamFixture } from "./agent-fixtures.js";
import { leasePayloadOf } from "./lease-payload.js";
import { leaseTrial } from "./lease-trial.js";

let db: TestDb;
let team: TeamFixture;

beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "payload");
}, 60_000);
afterAll(async () => {
  await db.drop();
});

async function leaseOne(studyId: string) {
  await seedWaitingTrials(db, team, studyId, 1);
  const agentId = await seedAgent(db, team, { maxTrials: 1 });
  const lease = await leaseTrial(db, { agentId, leaseTtlMs: 10_000 });
  await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
  if (!lease) throw new Error("nothing leased");
  return leasePayloadOf(lease);
}

describe("the trial:lease payload", () => {
  it("carries the run section in the protocol's names, and is what ZTrialLease accepts", async () => {
    const studyId = await seedRunStudy(db, team, {
      objective: { metric: "acc", direction: "maximize" },
      run: {
        command: "python t.py",
        workdir: "/w",
        env: { A: "1" },
        timeout_minutes: 5,
        resources: { labels: { zone: "a" } },
        artifacts: ["*.pt"],
        artifacts_max_mb: 10,
      },
    });
    const agentId = await seedAgent(db, team, { maxTrials: 1, labels: { zone: "a" } });
    await seedWaitingTrials(db, team, studyId, 1);
    const lease = (await leaseTrial(db, { agentId, leaseTtlMs: 10_000 }))!;
    await db.query(`UPDATE studies SET state = 'stopped' WHERE id = $1`, [studyId]);
    const payload = leasePayloadOf(lease);
    expect(payload.objective).toEqual({ metric: "acc", direction: "maximize" });
    expect(payload.run).toEqual({
      command: "python t.py",
      workdir: "/w",
      env: { A: "1" },
      timeoutMinutes: 5,
      artifacts: ["*.pt"],
      artifactsMaxMb: 10,
      resources: { gpus: 0, labels: { zone: "a" } },
    });
    expect(ZTrialLease.safeParse(payload).success).toBe(true);
  });

  it("leases a study stored before run.resources and the budget had defaults, with the defaults filled in", async () => {
    const [row] = await db.query<{ id: string }>(
      `INSERT INTO studies (org_id, project_id, name, spec, direction, metric)
       VALUES ($1, $2, 'old', $3::jsonb, 'minimize', 'loss') RETURNING id`,
      [
        team.orgId,
        team.projectId,
        JSON.stringify({
          name: "old",
          objective: { metric: "loss", direction: "minimize" },
          space: { x: { type: "float", low: 0, high: 1 } },
          run: { builtin: { trainer: "mlp", dataset: "digits" } },
        }),
      ],
    );
    const payload = await leaseOne(row!.id);
    expect(payload.run).toEqual({ builtin: { trainer: "mlp", dataset: "digits" }, resources: { gpus: 0 } });
    expect(ZTrialLease.safeParse(payload).success).toBe(true);
  });
});

/**
 * The demo study `npm start` seeds shows the platform at its best: the default sampler and a
 * pruner, and, as the local agent runs it (examples/demo/branin-curve.mjs: 5 steps converging
 * on the Branin value), the pruner stops some of the trials.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedDemo } from "@autoglm/db/seed";
import { getStudy } from "@autoglm/db/queries";
import { askTrial, branin, reportTrial, seedDemoStudy, tellTrial } from "./index.js";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe("the seeded demo study", () => {
  it("uses the auto sampler and ASHA, and ASHA prunes some of the demo's curves", async () => {
    const rows = await seedDemo(db, { passwordHash: "hash" });
    const { studyId } = await seedDemoStudy(db, rows);
    const scope = { orgId: rows.orgId };
    const spec = (await getStudy(db.db, scope, studyId))!.spec;
    expect(spec.sampler.name).toBe("auto");
    expect(spec.pruner.name).toBe("asha");

    // 30 more trials, reported the way branin-curve.mjs reports them.
    const actor = { userId: rows.userId };
    let pruned = 0;
    for (let i = 0; i < 30; i++) {
      const t = await askTrial({ db: db.db }, { scope, studyId, actor });
      const final = branin(Number(t.params.x1), Number(t.params.x2));
      let stopped = false;
      for (let step = 0; step < 5 && !stopped; step++) {
        stopped = (await reportTrial({ db: db.db }, { scope, trialId: t.trialId, step, value: final * (1 + (4 - step) * 0.25) }))
          .prune;
      }
      if (stopped) pruned++;
      await tellTrial(
        { db: db.db },
        { scope, trialId: t.trialId, ...(stopped ? { state: "pruned" as const } : { value: final }), actor },
      );
    }
    expect(pruned).toBeGreaterThan(0);
    expect(pruned).toBeLessThan(30);
  }, 120_000);
});

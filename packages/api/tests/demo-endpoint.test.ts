/**
 * `npm start`'s demo endpoint: created once the model's alias exists, as the demo user, with its
 * first revision (`via demo`); until then nothing is stored, and a second pass changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDemoEndpoint } from "../src/endpoints/demo-endpoint.js";
import { makeWorld, rowCounts, type World } from "./fixture.js";

let w: World;

beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("ensureDemoEndpoint", () => {
  it("waits, storing nothing, while the model or its alias is missing", async () => {
    const team = { orgId: w.A.orgId, userId: w.A.ownerId };
    const before = await rowCounts(w.db);
    expect(await ensureDemoEndpoint(w.db, team, { name: "digits", model: "no-such-model", alias: "champion" })).toBe("waiting");
    expect(await ensureDemoEndpoint(w.db, team, { name: "digits", model: w.A.modelName, alias: "no-such-alias" })).toBe(
      "waiting",
    );
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("creates the endpoint following the alias once it exists, then leaves it alone", async () => {
    const team = { orgId: w.A.orgId, userId: w.A.ownerId };
    const target = { name: "digits", model: w.A.modelName, alias: "champion" };
    expect(await ensureDemoEndpoint(w.db, team, target)).toBe("created");
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const e = await owner.endpoint.get({ name: "digits" });
    expect(e).toMatchObject({ model: w.A.modelName, alias: "champion", targetVersion: 1 });
    expect(e.revisions).toEqual([{ version: 1, via: "demo", movedBy: w.A.ownerEmail, movedAt: expect.any(String) }]);
    const before = await rowCounts(w.db);
    expect(await ensureDemoEndpoint(w.db, team, target)).toBe("exists");
    expect(await rowCounts(w.db)).toEqual(before);
    // Another team's endpoint of the same name is not this team's.
    expect(await ensureDemoEndpoint(w.db, { orgId: w.B.orgId, userId: w.B.ownerId }, { ...target, model: w.B.modelName })).toBe(
      "created",
    );
  });
});

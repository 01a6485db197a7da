/**
 * `run.env` values are secrets: write-only. Every API answer (study.get for owner, member and
 * viewer; study.list) shows the names masked, the audit log never holds a value, and the
 * study row keeps the real value for the agents' leases (tested end to end with a real agent
 * in apps/server/tests/env-secrets.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRET_MASK } from "../src/index.js";
import { makeWorld, SPEC, type World } from "./fixture.js";

const SECRET = "sk-live-4f9a8b7c6d5e";
let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("run.env is write-only", () => {
  it("owner, member and viewer see the names masked; the row keeps the value; the audit log holds none", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const fromSpec = await owner.study.create({
      projectId: w.A.projectId,
      spec: { ...SPEC, name: "with-env", run: { command: "python train.py", env: { API_KEY: SECRET, MODE: "fast" } } },
    });
    const yaml = `name: with-env-yaml
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
run:
  command: python train.py
  env: {API_KEY: "${SECRET}"}
`;
    const fromYaml = await owner.study.create({ projectId: w.A.projectId, yaml });
    const member = await w.as(w.memberA.userId, w.A.orgId);
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    for (const [who, caller] of [
      ["owner", owner],
      ["member", member],
      ["viewer", viewer],
    ] as const) {
      const got = await caller.study.get({ studyId: fromSpec.id });
      expect(got.spec.run?.env, who).toEqual({ API_KEY: SECRET_MASK, MODE: SECRET_MASK });
      expect(got.spec.run?.command, who).toBe("python train.py");
      const gotYaml = await caller.study.get({ studyId: fromYaml.id });
      expect(gotYaml.spec.run?.env, who).toEqual({ API_KEY: SECRET_MASK });
      expect(JSON.stringify(await caller.study.list()), who).not.toContain(SECRET);
    }
    // The agents' lease reads the row: the value is there, and only there.
    const [row] = await w.db.query<{ spec: { run: { env: Record<string, string> } } }>("select spec from studies where id = $1", [
      fromSpec.id,
    ]);
    expect(row!.spec.run.env.API_KEY).toBe(SECRET);
    const audit = await w.db.query<{ action: string; details: unknown }>("select action, details from audit_log");
    expect(audit.some((r) => r.action === "study.create")).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect(JSON.stringify(await owner.audit.list())).not.toContain(SECRET);
  });

  it("a study without env is shown as stored", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const got = await owner.study.get({ studyId: w.A.studyId });
    expect(got.spec.run).toBeUndefined();
    expect(got.spec.space).toEqual(SPEC.space);
  });
});

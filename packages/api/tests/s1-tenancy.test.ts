/**
 * S1 — cross-tenant matrix over EVERY procedure of appRouter (a new procedure without a
 * case fails the first test). Principals: team-A owner, team-B owner, team-A viewer, no
 * auth, an agent-only token (wrong scope), an expired token, a revoked token, and team A's
 * read/write token. Ids come from the other team; a forbidden id must answer exactly like a
 * nonexistent one (same code, same message), and no rejected call may change a row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/index.js";
import { callPath, makeWorld, outcome, randomId, rowCounts, SPEC, type Team, type World } from "./fixture.js";
import { cases } from "./cases.js";

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
const paths = Object.keys(procedures);

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

/** Every id, name and email of a team: none may appear in what the other team reads. */
function secretsOf(t: Team): string[] {
  return [
    t.orgId,
    t.projectId,
    t.studyId,
    t.runningTrialId,
    t.completeTrialId,
    t.tokenId,
    t.inviteId,
    t.ownerEmail,
    t.agentName,
    t.webhookId,
    t.webhookDeliveryId,
    t.modelName,
    ...(t === w.A ? ["Team a", "Project a"] : ["Team b", "Project b"]),
  ];
}

describe("S1 cross-tenant matrix", () => {
  it("has a case for every procedure of appRouter (and no stale cases)", () => {
    expect(paths.length).toBeGreaterThanOrEqual(36);
    expect(paths.filter((p) => !cases[p])).toEqual([]);
    expect(Object.keys(cases).filter((p) => !procedures[p])).toEqual([]);
  });

  it("team A and team B each get a forbidden id answered exactly like a missing id, with 0 rows changed", async () => {
    let checked = 0;
    // Team A's owner and plain member against team B, and team B's owner against team A.
    for (const [attacker, victim] of [
      [{ ownerId: w.A.ownerId, orgId: w.A.orgId }, w.B],
      [{ ownerId: w.memberA.userId, orgId: w.A.orgId }, w.B],
      [{ ownerId: w.B.ownerId, orgId: w.B.orgId }, w.A],
    ] as const) {
      for (const path of paths) {
        const c = cases[path]!;
        if (c.kind !== "team") continue;
        const me = await w.as(attacker.ownerId, attacker.orgId);
        const before = await rowCounts(w.db);
        if (c.missing) {
          const forbidden = await outcome(() => callPath(me, path, c.input(victim)));
          const after = await rowCounts(w.db);
          const missing = await outcome(() => callPath(me, path, c.missing!()));
          if (forbidden.ok) {
            // Only filters may "succeed": with nothing of the victim's in them, same as missing.
            expect(JSON.stringify(forbidden.data), path).toEqual(JSON.stringify((missing as { data: unknown }).data));
          } else {
            expect(forbidden, path).toEqual(missing);
            // NOT_FOUND; or, for a role below the procedure's, ROLE_TOO_LOW decided before any id is looked at.
            expect(forbidden.code === "NOT_FOUND" || forbidden.appCode === "ROLE_TOO_LOW", path).toBe(true);
            expect(after, `${path} changed rows`).toEqual(before);
          }
        }
        // Choosing the victim's team by header is refused exactly like a team that does not exist.
        const viaHeader = await outcome(async () => callPath(await w.as(attacker.ownerId, victim.orgId), path, c.input(victim)));
        const viaNowhere = await outcome(async () => callPath(await w.as(attacker.ownerId, randomId()), path, c.input(victim)));
        expect(viaHeader.ok, path).toBe(false);
        expect(viaHeader, path).toEqual(viaNowhere);
        expect(viaHeader.ok === false && viaHeader.code, path).toBe("NOT_FOUND");
        // With its own team, a listing shows nothing of the victim's.
        if (!c.missing && procedures[path]!._def.type === "query") {
          const own = await outcome(() => callPath(me, path, c.input(victim)));
          // (A plain member may be refused an admin listing: that leaks nothing either.)
          if (attacker.ownerId !== w.memberA.userId) expect(own.ok, path).toBe(true);
          const text = JSON.stringify(own);
          for (const s of secretsOf(victim)) expect(text.includes(s), `${path} leaks ${s}`).toBe(false);
        }
        checked++;
      }
    }
    expect(checked).toBe(3 * paths.filter((p) => cases[p]!.kind === "team").length);
  });

  it("a team-A token with team-B ids gets the same NOT_FOUND as a missing id", async () => {
    const tc = await w.withToken(w.A.token);
    for (const path of paths) {
      const c = cases[path]!;
      if (c.kind !== "team" || !c.missing) continue;
      const forbidden = await outcome(() => callPath(tc, path, c.input(w.B)));
      const missing = await outcome(() => callPath(tc, path, c.missing!()));
      if (forbidden.ok) expect(JSON.stringify(forbidden.data), path).toEqual(JSON.stringify((missing as { data: unknown }).data));
      else expect(forbidden, path).toEqual(missing);
    }
  });

  it("no auth: every non-public procedure answers UNAUTHORIZED", async () => {
    const anon = await w.anon();
    for (const path of paths) {
      if (cases[path]!.kind === "public") continue;
      const r = await outcome(() => callPath(anon, path, cases[path]!.input(w.A)));
      expect(r.ok === false && r.code, path).toBe("UNAUTHORIZED");
    }
  });

  it("wrong-scope (agent-only) token: FORBIDDEN everywhere; read-only token: FORBIDDEN on every mutation", async () => {
    const before = await rowCounts(w.db);
    const agent = await w.withToken(w.tokens.agentOnlyA);
    const ro = await w.withToken(w.tokens.readOnlyA);
    for (const path of paths) {
      const c = cases[path]!;
      if (c.kind === "public") continue;
      const r = await outcome(() => callPath(agent, path, c.input(w.A)));
      expect(r.ok === false && r.code, path).toBe("FORBIDDEN");
      if (procedures[path]!._def.type === "mutation") {
        const r2 = await outcome(() => callPath(ro, path, c.input(w.A)));
        expect(r2.ok === false && r2.code, path).toBe("FORBIDDEN");
      }
    }
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("expired and revoked tokens: UNAUTHORIZED on every procedure", async () => {
    for (const token of [w.tokens.expiredA, w.tokens.revokedA]) {
      const c = await w.withToken(token);
      for (const path of paths) {
        const r = await outcome(() => callPath(c, path, cases[path]!.input(w.A)));
        expect(r.ok === false && r.code, path).toBe("UNAUTHORIZED");
      }
    }
  });

  it("a viewer can change nothing of the team (every team mutation refused, 0 rows changed)", async () => {
    const before = await rowCounts(w.db);
    const viewer = await w.as(w.viewerA.userId, w.A.orgId);
    for (const path of paths) {
      const c = cases[path]!;
      if (c.kind !== "team" || procedures[path]!._def.type !== "mutation") continue;
      // The viewer's OWN team's ids: the strongest case.
      const r = await outcome(() => callPath(viewer, path, c.input(w.A)));
      expect(r.ok === false && r.code, path).toBe("FORBIDDEN");
    }
    expect(await rowCounts(w.db)).toEqual(before);
    // ...while reading works.
    expect((await viewer.study.get({ studyId: w.A.studyId })).id).toBe(w.A.studyId);
  });

  it("a project-restricted token sees only its project", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const other = await owner.project.create({ name: "other-project" });
    const s2 = await owner.study.create({ projectId: other.id, spec: SPEC });
    const t = await owner.token.create({ name: "restricted", scopes: ["read", "write"], projectId: w.A.projectId });
    const rc = await w.withToken(t.token);
    expect((await rc.project.list()).map((p) => p.id)).toEqual([w.A.projectId]);
    expect((await rc.study.list()).map((s) => s.id)).toEqual([w.A.studyId]);
    const forbidden = await outcome(() => rc.study.get({ studyId: s2.id }));
    const missing = await outcome(() => rc.study.get({ studyId: randomId() }));
    expect(forbidden).toEqual(missing);
    expect((await outcome(() => rc.trial.ask({ studyId: s2.id }))).ok).toBe(false);
  });
});

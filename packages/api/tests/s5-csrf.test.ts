/**
 * S5 — CSRF and origin. Through the real fetch adapter (the Next route handler) with a
 * cookie-borne session: for EVERY mutation, a cross-origin POST as text/plain,
 * x-www-form-urlencoded, multipart/form-data and JSON, and a JSON POST without Origin,
 * change nothing. Bearer-token calls are exempt (not cookie-borne). And every query is
 * side-effect free: a content fingerprint of every table is equal around each one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, handleTrpcFetch, type TSessionClaims } from "../src/index.js";
import { callPath, contentHash, makeWorld, ORIGIN, type World } from "./fixture.js";
import { cases } from "./cases.js";

let w: World;
beforeAll(async () => {
  w = await makeWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
const mutations = Object.keys(procedures).filter((p) => procedures[p]!._def.type === "mutation");

async function send(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  const req = new Request(`${ORIGIN}/api/trpc/${path}`, { method: "POST", headers, body });
  const res = await handleTrpcFetch(req, {
    ...w.deps,
    // The web app's cookie → claims step, simulated: the cookie names the owner of team A.
    getSession: async (r): Promise<TSessionClaims | null> => {
      if (r.headers.get("cookie") !== "session=owner-a") return null;
      return w.sessionOf(w.A.ownerId);
    },
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

describe("S5 CSRF", () => {
  it("cross-origin and non-JSON cookie mutations are refused for every mutation, with 0 changes", async () => {
    const before = await contentHash(w.db);
    let refused = 0;
    for (const path of mutations) {
      const input = JSON.stringify(cases[path]!.input(w.A) ?? null);
      const cookie = { cookie: "session=owner-a", "x-autoglm-org": w.A.orgId };
      const attempts: Array<Record<string, string>> = [
        { ...cookie, origin: "https://evil.test", "content-type": "text/plain" },
        { ...cookie, origin: "https://evil.test", "content-type": "application/x-www-form-urlencoded" },
        { ...cookie, origin: "https://evil.test", "content-type": "multipart/form-data; boundary=x" },
        { ...cookie, origin: "https://evil.test", "content-type": "application/json" },
        { ...cookie, "content-type": "application/json" }, // no Origin at all
        { ...cookie, origin: ORIGIN, "content-type": "text/plain" }, // same origin but not JSON
      ];
      for (const headers of attempts) {
        const r = await send(path, input, headers);
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
        expect(r.status, path).toBeLessThan(500);
        refused++;
      }
    }
    expect(await contentHash(w.db)).toBe(before);
    expect(refused).toBe(mutations.length * 6);
  });

  it("the same-origin JSON mutation with the cookie works (the check is not a blanket refusal)", async () => {
    const r = await send("project.create", JSON.stringify({ name: "via-cookie" }), {
      cookie: "session=owner-a",
      "x-autoglm-org": w.A.orgId,
      origin: ORIGIN,
      "content-type": "application/json",
    });
    expect(r.status).toBe(200);
    const evil = await send("project.create", JSON.stringify({ name: "via-evil" }), {
      cookie: "session=owner-a",
      "x-autoglm-org": w.A.orgId,
      origin: "https://evil.test",
      "content-type": "application/json",
    });
    expect(evil.status).toBe(403);
    expect(evil.json.error.data.appCode).toBe("CSRF_REJECTED");
    expect(evil.json.error.data.userMessage).toMatch(/another site/);
  });

  it("the route handler refuses a declared oversize body with 413 before reading it", async () => {
    const r = await send("project.create", JSON.stringify({ name: "z".repeat(1_100_000) }), {
      authorization: `Bearer ${w.A.token}`,
      "content-type": "application/json",
      "content-length": String(1_100_020),
    });
    expect(r.status).toBe(413);
    expect(r.json.error.data.appCode).toBe("PAYLOAD_TOO_LARGE");
  });

  it("bearer-token mutations are exempt (not cookie-borne)", async () => {
    const r = await send("project.create", JSON.stringify({ name: "via-token" }), {
      authorization: `Bearer ${w.A.token}`,
      origin: "https://somewhere.test",
      "content-type": "application/json",
    });
    expect(r.status).toBe(200);
  });

  it("no query has a side effect (fingerprint of every table equal around each query, as owner and as token)", async () => {
    const owner = await w.as(w.A.ownerId, w.A.orgId);
    const token = await w.withToken(w.A.token);
    const queries = Object.keys(procedures).filter((p) => procedures[p]!._def.type === "query");
    expect(queries.length).toBeGreaterThan(10);
    // Warm the token's last_used_at so the throttled write is not what we measure.
    await token.study.list();
    for (const path of queries) {
      for (const caller of [owner, token]) {
        const before = await contentHash(w.db);
        await callPath(caller, path, cases[path]!.input(w.A)).catch(() => undefined);
        expect(await contentHash(w.db), path).toBe(before);
      }
    }
  });
});

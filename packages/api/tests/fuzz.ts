/**
 * Shared body of the S7 files (split in two so both CI cores fuzz at once).
 * S7 — input fuzzing of EVERY procedure with fast-check: valid-shaped inputs whose fields are
 * swapped for hostile values (huge strings, deep nesting, NaN/±Infinity, prototype keys,
 * NUL bytes, wrong types) plus fc.json(). Pass: only typed 4xx errors (never
 * INTERNAL_SERVER_ERROR), every rejection leaves the row counts of every table unchanged,
 * and nothing pollutes Object.prototype. Runs per procedure: FUZZ_RUNS (default 200, CI scale).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/index.js";
import { callPath, makeWorld, rowCounts, type World } from "./fixture.js";
import { cases } from "./cases.js";
import { post, startServer } from "./http.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const OK_CODES = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
  "PAYLOAD_TOO_LARGE",
]);

let w: World;
function setup() {
  beforeAll(async () => {
    w = await makeWorld();
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });
}

const HUGE = "x".repeat(300_000);
function deep(n: number): unknown {
  let v: unknown = "bottom";
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    NaN,
    Infinity,
    -Infinity,
    -0,
    Number.MAX_VALUE,
    2 ** 53 + 1,
    -1,
    1.5,
    "",
    " ",
    "\u0000",
    "a\u0000b",
    HUGE,
    "'; drop table users; --",
    "../../etc/passwd",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    null,
    true,
    [],
    {},
    deep(300),
    JSON.parse('{"__proto__":{"polluted":1}}'),
    JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
    { toString: "x", valueOf: 1, hasOwnProperty: 2 },
  ),
  fc.string({ maxLength: 50 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.double(),
  fc.integer(),
  fc.uuid(),
  fc.json().map((s) => JSON.parse(s) as unknown),
);

/** The case's valid input with each field kept, dropped or replaced by a hostile value. */
function validShaped(template: unknown): fc.Arbitrary<unknown> {
  if (template === undefined || template === null || typeof template !== "object") {
    return fc.oneof(fc.constant(template), hostile);
  }
  const entries = Object.entries(template as Record<string, unknown>);
  return fc
    .tuple(
      ...entries.map(([, v]) =>
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(v) },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 3, arbitrary: hostile },
        ),
      ),
      fc.option(fc.tuple(fc.constantFrom("__proto__", "constructor", "extra", "prototype"), hostile), { nil: undefined }),
    )
    .map((vals) => {
      const extra = vals.pop() as [string, unknown] | undefined;
      const out: Record<string, unknown> = {};
      entries.forEach(([k], i) => {
        if (vals[i] !== undefined) out[k] = vals[i];
      });
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, configurable: true, writable: true });
      return out;
    });
}

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
// Destructive procedures last, so the others keep meeting live rows.
const LAST = ["study.delete", "study.stop", "auth.deactivate", "auth.signOutEverywhere"];
const allPaths = Object.keys(procedures).sort((a, b) => Number(LAST.includes(a)) - Number(LAST.includes(b)));

/** Fuzzes the procedures of one kind (query or mutation); the HTTP checks run with the queries. */
export function fuzzSuite(kind: "query" | "mutation"): void {
  const paths = allPaths.filter((p) => procedures[p]!._def.type === kind);
  setup();
  describe(`S7 fuzzing every ${kind}`, () => {
    it(`${RUNS} valid-shaped/hostile inputs + fc.json() per procedure: only typed 4xx, no rows changed by rejections`, async () => {
      let calls = 0;
      let rejections = 0;
      for (const path of paths) {
        const c = cases[path]!;
        const template = c.input(w.A);
        const arb = fc.oneof(
          validShaped(template),
          fc.json().map((s) => JSON.parse(s) as unknown),
          hostile,
        );
        // One caller per procedure (its context is resolved once, like one HTTP request's) and
        // one row-count snapshot per call: the previous call's "after" is this one's "before".
        const caller = await w.as(w.A.ownerId, w.A.orgId);
        let before = await rowCounts(w.db);
        await fc.assert(
          fc.asyncProperty(arb, async (input) => {
            calls++;
            try {
              await callPath(caller, path, input);
              before = await rowCounts(w.db);
            } catch (err) {
              rejections++;
              const e = err as { code?: string; message?: string; stack?: string };
              if (!OK_CODES.has(String(e.code))) {
                throw new Error(`${path} answered ${e.code}: ${e.message} for ${JSON.stringify(input)?.slice(0, 300)}`);
              }
              const after = await rowCounts(w.db);
              const was = before;
              before = after;
              expect(after, `${path} changed rows although it refused ${JSON.stringify(input)?.slice(0, 200)}`).toEqual(was);
            }
          }),
          { numRuns: RUNS, seed: 4242 },
        );
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(calls).toBe(paths.length * RUNS);
      expect(rejections).toBeGreaterThan(calls * 0.5);
    }, 600_000);

    if (kind === "query") {
      it("over HTTP: oversize bodies, broken JSON and deep nesting get 4xx with a sentence and no stack", async () => {
        const srv = await startServer(w.deps);
        try {
          // The fuzzing above may have revoked the fixture's token (token.revoke is fuzzed with it).
          const owner = await w.as(w.A.ownerId, w.A.orgId);
          const fresh = await owner.token.create({ name: "http-fuzz", scopes: ["read", "write"] });
          const bearer = { authorization: `Bearer ${fresh.token}` };
          const big = await fetch(`${srv.url}/project.create`, {
            method: "POST",
            headers: { "content-type": "application/json", ...bearer },
            body: JSON.stringify({ name: "y".repeat(2 * 1024 * 1024) }),
          });
          expect(big.status).toBe(413);
          const broken = await fetch(`${srv.url}/project.create`, {
            method: "POST",
            headers: { "content-type": "application/json", ...bearer },
            body: "{nope",
          });
          expect(broken.status).toBe(400);
          const nested = await post(srv.url, "project.create", deep(2000), bearer);
          expect(nested.status).toBe(400);
          expect(nested.body.error?.data.userMessage.length).toBeGreaterThan(0);
          expect(nested.body.error?.data.stack).toBeUndefined();
          const named = await post(srv.url, "trial.report", { trialId: w.A.runningTrialId, step: -1, value: 1 }, bearer);
          expect(named.status).toBe(400);
          expect(named.body.error?.data.userMessage).toMatch(/^step: /);
          const spec = await post(
            srv.url,
            "study.create",
            {
              projectId: w.A.projectId,
              spec: {
                name: "bad",
                objective: { metric: "l", direction: "minimize" },
                space: { lr: { type: "float", low: 0, high: 1, log: true } },
              },
            },
            bearer,
          );
          expect(spec.status).toBe(400);
          expect(spec.body.error?.data.userMessage).toBe("space.lr.low: must be > 0 when log is true");
          const yaml = await post(
            srv.url,
            "study.create",
            {
              projectId: w.A.projectId,
              yaml: "name: y\nobjective: {metric: l, direction: up}\nspace: {x: {type: float, low: 0, high: 1}}",
            },
            bearer,
          );
          expect(yaml.status).toBe(400);
          expect(yaml.body.error?.data.userMessage).toMatch(/^objective\.direction: /);
        } finally {
          await srv.close();
        }
      });
    }
  });
}

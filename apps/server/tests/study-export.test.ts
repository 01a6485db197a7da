/**
 * `GET /api/studies/:id/export` through the real server: a 3,000-trial study streams as CSV that
 * parses back to one row per trial (params and last metrics as columns, a quoted comma kept) and
 * as one JSON document; a read token of the team may export, another team's member gets 404, an
 * unknown format 400, no credentials 401.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

const PASSWORD = "correct horse battery";
const N = 3000;
let db: TestDb;
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-study-export-"));
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function signedIn(tag: string): Promise<{ browser: Browser; orgId: string }> {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: tag });
  expect((await browser.signIn(email, PASSWORD)).status).toBe(200);
  const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  return { browser, orgId };
}

describe("study export route", () => {
  let a: { browser: Browser; orgId: string };
  let studyId: string;

  it("streams every trial as CSV that parses back, and as JSON, to a member and to a read token", async () => {
    a = await signedIn("export-a");
    const projectId = (await a.browser.call<{ id: string }>("project.create", { name: "Exports" }, { org: a.orgId })).id;
    const yaml = `name: "wide, study"
objective: {metric: loss, direction: minimize}
space:
  lr: {type: float, low: 1.0e-4, high: 1, log: true}
  opt: {type: categorical, choices: ["sgd, momentum", adam]}
budget: {max_trials: 100000, max_parallel: 1}
`;
    studyId = (await a.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: a.orgId })).id;
    // A bulk path writing the rows ask/tell would: finished trials, each with its last step's metrics.
    await db.query(
      `insert into trials (org_id, study_id, number, state, params, value, last_step, attempt, started_at, finished_at)
       select $1, $2, i, 'complete', jsonb_build_object('lr', i / 10000.0, 'opt', case when i % 2 = 0 then 'sgd, momentum' else 'adam' end),
         i / 100.0, 0, 1, timestamptz '2026-02-01' + i * interval '1 second', timestamptz '2026-02-01' + i * interval '1 second' + interval '2 seconds'
       from generate_series(0, ${N - 1}) i`,
      [a.orgId, studyId],
    );
    await db.query(
      `insert into trial_values (trial_id, org_id, step, value, metrics, attempt)
       select id, org_id, 0, value, jsonb_build_object('acc', number / 1000.0), 1 from trials where study_id = $1`,
      [studyId],
    );

    const res = await a.browser.fetch(`/api/studies/${studyId}/export?format=csv&org=${a.orgId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toContain('filename="wide-study-trials.csv"');
    expect(res.headers.get("x-autoglm-trial-count")).toBe(String(N));
    const rows = parse(await res.text(), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(N);
    expect(rows[1234]).toEqual({
      number: "1234",
      state: "complete",
      value: "12.34",
      datetime_start: "2026-02-01T00:20:34.000Z",
      datetime_complete: "2026-02-01T00:20:36.000Z",
      duration_seconds: "2",
      params_lr: "0.1234",
      params_opt: "sgd, momentum",
      metrics_acc: "1.234",
    });
    expect(rows.map((r) => Number(r.number))).toEqual(Array.from({ length: N }, (_, i) => i));

    const token = (await a.browser.call<{ token: string }>("token.create", { name: "ro", scopes: ["read"] }, { org: a.orgId }))
      .token;
    const byToken = await fetch(`${server.url}/api/studies/${studyId}/export?format=json`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byToken.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const doc = (await byToken.json()) as { study: { name: string }; trials: Array<Record<string, unknown>> };
    expect(doc.study.name).toBe("wide, study");
    expect(doc.trials).toHaveLength(N);
    expect(doc.trials[N - 1]).toMatchObject({ number: N - 1, params: { lr: 0.2999, opt: "adam" }, metrics: { acc: 2.999 } });
  }, 120_000);

  it("answers another team 404, a bad format 400 and no credentials 401, naming nothing of the study", async () => {
    const b = await signedIn("export-b");
    const other = await b.browser.fetch(`/api/studies/${studyId}/export?format=csv&org=${b.orgId}`);
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain("wide");
    const bad = await a.browser.fetch(`/api/studies/${studyId}/export?format=xlsx&org=${a.orgId}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('format must be csv or json, not "xlsx".');
    const anon = await fetch(`${server.url}/api/studies/${studyId}/export?format=csv`);
    expect(anon.status).toBe(401);
  });
});

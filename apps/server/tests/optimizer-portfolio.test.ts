import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

/**
 * A deployment's sampler plugin (AUTOGLM_SAMPLER_PLUGINS) proposes a study's trials through
 * the API (asks run in the optimizer pool's workers, which load the same modules); the trial
 * list says who proposed each trial, an `auto` study's included, and study.portfolio gives
 * the weights; a name nobody registered is refused at study.create, naming what exists. A
 * noisy study (`noise: true`) gets its best predicted trial beside the raw best.
 */
const EXAMPLE = fileURLToPath(new URL("../../../packages/optimizer/examples/local-search-sampler.mjs", import.meta.url));

let db: TestDb;
let server: RunningServer;
let dataDir: string;
const browser = () => new Browser(server.url);
let who: { browser: Browser; orgId: string; projectId: string };

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-plugins-"));
  server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    log: () => {},
    env: { NODE_ENV: "production", AUTOGLM_SAMPLER_PLUGINS: EXAMPLE },
  });
  const b = browser();
  const email = `plugins-${Date.now()}@example.com`;
  await b.call("auth.signUp", { email, password: "correct horse battery", name: "Plugins", teamName: "Plugins team" });
  expect((await b.signIn(email, "correct horse battery")).status).toBe(200);
  const orgId = (await b.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  const { id: projectId } = await b.call<{ id: string }>("project.create", { name: "Plugins" }, { org: orgId });
  who = { browser: b, orgId, projectId };
}, 180_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const space = { x: { type: "float", low: -5, high: 5 }, y: { type: "float", low: -5, high: 5 } };
const loss = (p: Record<string, number>) => (p.x! - 1.3) ** 2 + (p.y! + 2.1) ** 2;

/** Creates a study with `sampler`, asks and tells `n` trials one by one (`noise` added to each value); the trial list (by number). */
async function runStudy(sampler: Record<string, unknown>, n: number, noise: (i: number) => number = () => 0) {
  const { browser: b, orgId, projectId } = who;
  const spec = { name: `s-${String(sampler.name)}`, objective: { metric: "loss", direction: "minimize" }, space, sampler };
  const { id: studyId } = await b.call<{ id: string }>("study.create", { projectId, spec }, { org: orgId });
  for (let i = 0; i < n; i++) {
    const asked = await b.call<{ trialId: string; params: Record<string, number> }>("trial.ask", { studyId }, { org: orgId });
    await b.call("trial.tell", { trialId: asked.trialId, value: loss(asked.params) + noise(i) }, { org: orgId });
  }
  const list = await b.call<{ items: Array<{ id: string; number: number; proposedBy: string | null; value: number | null }> }>(
    "trial.list",
    { studyId, limit: 100 },
    { org: orgId, query: true },
  );
  return { studyId, trials: [...list.items].sort((a, b) => a.number - b.number) };
}

it("a study names the plugin: its trials are proposed by it, with the spec's options", async () => {
  const { trials } = await runStudy({ name: "local-search", scale: 0.05 }, 12);
  expect(trials.map((t) => t.proposedBy)).toEqual(Array(12).fill("local-search"));
  // After the first (random) trial each one perturbs the best so far: the best keeps improving.
  expect(Math.min(...trials.map((t) => t.value!))).toBeLessThan(trials[0]!.value!);
}, 120_000);

it("an auto study records the member that proposed each trial, and the portfolio's weights", async () => {
  const { studyId, trials } = await runStudy({ name: "auto", seed: 3 }, 24);
  // Two params: 20 trials of the schedule (GP and TPE in turn), then the portfolio's choice.
  expect(trials.slice(0, 6).map((t) => t.proposedBy)).toEqual(["gp", "tpe", "gp", "tpe", "gp", "tpe"]);
  for (const t of trials) expect(["gp", "tpe", "random", "cmaes", "local-search"]).toContain(t.proposedBy);
  const portfolio = await who.browser.call<{
    members: string[];
    points: Array<{ trials: number; weights: Record<string, number> }>;
    handover: unknown;
  }>("study.portfolio", { studyId }, { org: who.orgId, query: true });
  expect(portfolio.members).toEqual(["gp", "tpe", "random", "cmaes", "local-search"]);
  expect(portfolio.points[0]).toEqual({ trials: 0, weights: { gp: 0.5, tpe: 0.5, random: 0, cmaes: 0, "local-search": 0 } });
  expect(portfolio.points.at(-1)!.trials).toBe(24);
  // 24 trials: still the model phase.
  expect(portfolio.handover).toBeNull();
}, 180_000);

it("a sampler name no module registered is refused at study.create, naming the ones that exist", async () => {
  const { browser: b, orgId, projectId } = who;
  const spec = { name: "bad", objective: { metric: "loss", direction: "minimize" }, space, sampler: { name: "my-sampler" } };
  const r = await b.trpc("study.create", { projectId, spec }, { org: orgId });
  expect(r.status).toBe(400);
  expect(r.body.error?.data?.userMessage).toBe(
    'sampler.name: must be one of random, grid, tpe, gp, cmaes, nsga2, auto, local-search (got "my-sampler")',
  );
  const bad = await b.trpc(
    "study.create",
    { projectId, spec: { ...spec, sampler: { name: "local-search", scale: 7 } } },
    { org: orgId },
  );
  expect(bad.body.error?.data?.userMessage).toBe("sampler local-search: scale must be a number in (0, 1]");
});

it("a noisy study reports the trial a noise-aware GP predicts best beside the raw best", async () => {
  const { browser: b, orgId, projectId } = who;
  // A fixed, zero-mean "noise" of sd 0.5 in the told values.
  const { studyId, trials } = await runStudy({ name: "gp", seed: 2, noise: true }, 14, (i) => (i % 2 === 0 ? 0.5 : -0.5));
  const predicted = await b.call<{ trialId: string; number: number; value: number; predicted: number; noiseSd: number } | null>(
    "study.bestPredicted",
    { studyId },
    { org: orgId, query: true },
  );
  expect(predicted).not.toBeNull();
  const named = trials.find((t) => t.number === predicted!.number)!;
  expect(predicted!.trialId).toBe(named.id);
  expect(predicted!.value).toBe(named.value);
  // One of the five lowest values: the model picks among the trials that also look good on their own.
  expect(
    trials
      .map((t) => t.value!)
      .sort((x, y) => x - y)
      .indexOf(named.value!),
  ).toBeLessThan(5);
  expect(predicted!.noiseSd).toBeGreaterThan(0);
  const spec = {
    name: "bad-noise",
    objective: { metric: "loss", direction: "minimize" },
    space,
    sampler: { name: "gp", noise: "yes" },
  };
  const r = await b.trpc("study.create", { projectId, spec }, { org: orgId });
  expect(r.body.error?.data?.userMessage).toBe("sampler.noise: must be a boolean");
}, 120_000);

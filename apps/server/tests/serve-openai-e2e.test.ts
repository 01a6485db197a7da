/**
 * The OpenAI routes end to end with the official `openai` npm client, nothing faked: a real
 * agent trains the builtin glm language model on shakespeare, `endpoint.deploy` serves it,
 * and the client pointed at `<endpoint url>/v1` completes, chats, streams, stops, and gets
 * OpenAI's error classes for an unknown model and a bad key, all through the gateway.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "@autoglm/agent";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { startServingServer, waitFor, type ServingServer } from "./serving-server.js";

const RUN = { heartbeatMs: 250, leaseTtlMs: 3_000, sweepMs: 200, tickMs: 100, ackTimeoutMs: 3_000, startupGraceMs: 0 };
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

let db: TestDb;
let server: ServingServer;
let dir: string;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  db = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-openai-"));
  // Trials started by an agent running as root run as nobody, who must reach the work dir.
  chmodSync(dir, 0o777);
  server = await startServingServer(db, path.join(dir, "store"), RUN);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await server?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("a glm language model deployed from a study answers the official OpenAI client through the gateway", async () => {
  const team = await seedTeam(db, "serve-openai");
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  const caller = await createServerCaller(
    { db, events: nullEvents, artifacts: server.artifacts, runLoop: server.gateway, options: { publicUrl: server.url } },
    { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId },
  );
  const study = await caller.study.create({
    projectId: team.projectId,
    spec: {
      name: "bard",
      objective: { metric: "val_bpb", direction: "minimize" },
      space: { lr: { type: "float", low: 3e-3, high: 1e-2, log: true } },
      sampler: { name: "random", seed: 1 },
      budget: { max_trials: 1, max_parallel: 1 },
      run: {
        builtin: { trainer: "glm", dataset: "shakespeare", steps: 30, params: { layers: 1, width: 32, heads: 2, context: 32 } },
      },
    },
  });
  agent = await startAgent({
    server: server.url,
    token: await seedToken(db, team),
    gpus: [],
    workDir: path.join(dir, "work"),
    heartbeatMs: RUN.heartbeatMs,
    ackTimeoutMs: 2_000,
    logger: silentLogger,
  });
  await agent.registered;
  await waitFor(
    async () => (await caller.study.get({ studyId: study.id })).state === "completed",
    120_000,
    "the study to complete",
  );
  const deployed = await caller.endpoint.deploy({ studyId: study.id, name: "bard" });
  expect(deployed).toMatchObject({ created: true, version: 1, protocols: ["openai"] });
  const client = new OpenAI({ baseURL: `${deployed.url}/v1`, apiKey: deployed.key!, maxRetries: 0 });

  const models = await waitFor(
    () =>
      client.models.list().then(
        (page) => page.data,
        () => null,
      ),
    60_000,
    "a ready replica to answer",
  );
  expect(models.map((m) => m.id)).toEqual(["bard"]);

  // Same seed, same text (the replica test compares it with in-process sampling byte for byte).
  const c1 = await client.completions.create({ model: "bard", prompt: "ROMEO.\n", max_tokens: 40, seed: 3, temperature: 0.9 });
  const c2 = await client.completions.create({ model: "bard", prompt: "ROMEO.\n", max_tokens: 40, seed: 3, temperature: 0.9 });
  expect(c1.choices[0]).toMatchObject({ finish_reason: "length" });
  expect(c2.choices[0]!.text).toBe(c1.choices[0]!.text);
  const c3 = await client.completions.create({ model: "bard", prompt: "ROMEO.\n", max_tokens: 40, seed: 4, temperature: 0.9 });
  expect(c3.choices[0]!.text).not.toBe(c1.choices[0]!.text);
  expect(c1.usage).toEqual({ prompt_tokens: 7, completion_tokens: 40, total_tokens: 47 });

  const greedy = (await client.completions.create({ model: "bard", prompt: "KING ", max_tokens: 60, temperature: 0 })).choices[0]!
    .text;
  const stop = greedy.slice(24, 26);
  const stopped = await client.completions.create({
    model: "bard",
    prompt: "KING ",
    max_tokens: 60,
    temperature: 0,
    stop: [stop],
  });
  expect(stopped.choices[0]).toMatchObject({ text: greedy.slice(0, greedy.indexOf(stop)), finish_reason: "stop" });
  const short = await client.completions.create({ model: "bard", prompt: "KING ", max_tokens: 7, temperature: 0 });
  expect(short.choices[0]).toMatchObject({ text: greedy.slice(0, 7), finish_reason: "length" });

  const messages = [
    { role: "system" as const, content: "You speak in verse." },
    { role: "user" as const, content: "Who goes there?" },
  ];
  const chat = await client.chat.completions.create({ model: "bard", messages, max_tokens: 30, seed: 11 });
  expect(chat.choices[0]!.message.role).toBe("assistant");
  // The documented byte-level chat template, continued as a plain completion, gives the same text.
  const templated = await client.completions.create({
    model: "bard",
    prompt: "system: You speak in verse.\nuser: Who goes there?\nassistant: ",
    max_tokens: 30,
    seed: 11,
  });
  expect(chat.choices[0]!.message.content).toBe(templated.choices[0]!.text);
  const stream = await client.chat.completions.create({ model: "bard", messages, max_tokens: 30, seed: 11, stream: true });
  const deltas: string[] = [];
  const finishes: Array<string | null> = [];
  for await (const chunk of stream) {
    deltas.push(chunk.choices[0]?.delta.content ?? "");
    finishes.push(chunk.choices[0]?.finish_reason ?? null);
  }
  expect(deltas.filter((d) => d !== "").length).toBeGreaterThan(1);
  expect(deltas.join("")).toBe(chat.choices[0]!.message.content);
  expect(finishes.at(-1)).toBe("length");

  const unknown = await client.completions.create({ model: "gpt-4o", prompt: "x" }).catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).message).toMatch(/`gpt-4o` does not exist/);
  const badField = await client.completions.create({ model: "bard", prompt: "x", max_tokens: 100_000 }).catch((e: unknown) => e);
  expect(badField).toBeInstanceOf(OpenAI.BadRequestError);
  const wrongKey = new OpenAI({ baseURL: `${deployed.url}/v1`, apiKey: "agl_not-a-key", maxRetries: 0 });
  expect(await wrongKey.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
  const noKey = await fetch(`${deployed.url}/v1/models`);
  expect(noKey.status).toBe(401);
  expect(await noKey.text()).not.toContain('bard","object":"model');
}, 240_000);

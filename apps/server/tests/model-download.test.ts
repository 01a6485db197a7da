/**
 * Registered model files through the real HTTP routes: a team registers a trial's stored files
 * (tRPC over HTTP), downloads them by session and by read token, another team gets 404; after the
 * store's bytes are changed, both download routes refuse them (a small file: 409 before any
 * byte; a large one: the transfer is cut before its end) and so does a new registration.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactKey } from "@autoglm/artifacts";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

const PASSWORD = "correct horse battery";
let db: TestDb;
let server: RunningServer;
let dataDir: string;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-model-download-"));
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: (line) => logs.push(line) });
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

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Stores a file as the agent's upload route would (key from the server's ids) and records its row. */
async function storeFile(trialId: string, name: string, body: Buffer): Promise<string> {
  const [t] = await db.query<{ org_id: string; project_id: string; study_id: string; attempt: number }>(
    "select t.org_id, s.project_id, t.study_id, t.attempt from trials t join studies s on s.id = t.study_id where t.id = $1",
    [trialId],
  );
  const key = artifactKey(
    { teamId: t!.org_id, projectId: t!.project_id, studyId: t!.study_id, trialId, attempt: t!.attempt },
    name,
  );
  await server.artifacts.put(key, Readable.from([body]));
  await db.query(
    "insert into trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key) values ($1, $2, $3, $4, $5, $6, $7)",
    [t!.org_id, trialId, t!.attempt, name, body.length, sha(body), key],
  );
  return key;
}

/** The body's bytes, or "aborted" when the server cut the transfer. */
async function bodyOf(res: Response): Promise<Buffer | "aborted"> {
  try {
    return Buffer.from(await res.arrayBuffer());
  } catch {
    return "aborted";
  }
}

describe("model file downloads", () => {
  const small = Buffer.from(JSON.stringify({ classes: 10 }));
  // Several 64 KiB reads of the local store: bytes go out before the end is hashed.
  const large = randomBytes(300 * 1024);
  let a: { browser: Browser; orgId: string };
  let trialId: string;
  let keys: { small: string; large: string };
  let version: { files: Array<{ name: string; sha256: string; downloadUrl: string }>; digest: string };

  it("registers over HTTP and serves each file to the team (session or read token), 404 to another team", async () => {
    a = await signedIn("models-a");
    const projectId = (await a.browser.call<{ id: string }>("project.create", { name: "Models" }, { org: a.orgId })).id;
    const yaml = `name: reg
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
budget: {max_trials: 3, max_parallel: 1}
`;
    const study = await a.browser.call<{ id: string }>("study.create", { projectId, yaml }, { org: a.orgId });
    trialId = (await a.browser.call<{ trialId: string }>("trial.ask", { studyId: study.id }, { org: a.orgId })).trialId;
    await a.browser.call("trial.tell", { trialId, value: 0.5 }, { org: a.orgId });
    keys = { small: await storeFile(trialId, "config.json", small), large: await storeFile(trialId, "weights.bin", large) };

    version = await a.browser.call("model.register", { trialId, name: "http-model", alias: "champion" }, { org: a.orgId });
    expect(version.files.map((f) => f.name)).toEqual(["config.json", "weights.bin"]);
    const [cfg, weights] = version.files;
    const got = await a.browser.fetch(weights!.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("x-autoglm-sha256")).toBe(sha(large));
    expect(got.headers.get("content-disposition")).toContain('filename="weights.bin"');
    expect((await bodyOf(got)) as Buffer).toEqual(large);

    const read = (await a.browser.call<{ token: string }>("token.create", { name: "read", scopes: ["read"] }, { org: a.orgId }))
      .token;
    const byToken = await fetch(`${server.url}${cfg!.downloadUrl.replace(/\?.*$/, "")}`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(Buffer.from(await byToken.arrayBuffer())).toEqual(small);

    const b = await signedIn("models-b");
    expect((await b.browser.fetch(cfg!.downloadUrl)).status).toBe(404);
    expect((await b.browser.fetch(cfg!.downloadUrl.replace(a.orgId, b.orgId))).status).toBe(404);
    expect((await a.browser.fetch(cfg!.downloadUrl.replace("/versions/1/", "/versions/2/"))).status).toBe(404);
  }, 90_000);

  it("refuses files whose stored bytes changed: 409 naming a small file, a cut transfer for a large one, on both routes", async () => {
    await server.artifacts.put(keys.small, Readable.from([Buffer.from(JSON.stringify({ classes: 11 }))]));
    const flipped = Buffer.from(large);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 0xff, flipped.length - 1);
    await server.artifacts.put(keys.large, Readable.from([flipped]));
    const [cfg, weights] = version.files;
    const artifactUrl = (name: string) => `/api/artifacts/${trialId}/1/${name}?org=${a.orgId}`;

    for (const url of [cfg!.downloadUrl, artifactUrl("config.json")]) {
      const res = await a.browser.fetch(url);
      expect(res.status, url).toBe(409);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("ARTIFACT_TAMPERED");
      expect(body.error.message).toContain('"config.json"');
    }
    for (const url of [weights!.downloadUrl, artifactUrl("weights.bin")]) {
      const res = await a.browser.fetch(url);
      expect(res.status, url).toBe(200);
      expect(await bodyOf(res), url).toBe("aborted");
    }
    expect(logs.filter((l) => l.includes("does not match its recorded SHA-256")).length).toBe(4);

    const again = await a.browser.trpc("model.register", { trialId, name: "http-model" }, { org: a.orgId });
    expect(again.status).toBe(409);
    expect(again.body.error?.data?.userMessage).toContain('File "config.json" of trial #0');
    const [{ n }] = (await db.query<{ n: number }>("select count(*)::int as n from model_versions")) as [{ n: number }];
    expect(n).toBe(1);
  }, 60_000);
});

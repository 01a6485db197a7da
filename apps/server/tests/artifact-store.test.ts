/**
 * The server opens the artifact store ARTIFACT_STORE names and checks it before taking any
 * work: a bucket it cannot reach stops the start with the reason (the process exits 1 with it),
 * a bad value is refused naming the variable, and a reachable bucket is what the server holds.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3TestServer, type S3TestServer } from "@autoglm/artifacts/testing";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer } from "../src/server.js";

const SECRET = "wJalrXUtnFEMI-example-secret-key";
const dirs: string[] = [];
const dataDirOf = () => {
  const d = mkdtempSync(path.join(tmpdir(), "autoglm-artifacts-server-"));
  dirs.push(d);
  return d;
};
let s3: S3TestServer | undefined;
let s3Skip = "";
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  const started = await startS3TestServer();
  if ("skip" in started) {
    s3Skip = started.skip;
    console.log(`SKIPPED the S3 start-up test: ${s3Skip}`);
  } else s3 = started;
});
afterAll(async () => {
  await s3?.stop();
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe("the artifact store at start-up", () => {
  it("fails fast, naming the store and the reason, when the bucket cannot be reached", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const dataDir = dataDirOf();
    const lines: string[] = [];
    const env = {
      ARTIFACT_STORE: "s3://autoglm-artifacts/prod",
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: SECRET,
    };
    const err = await startServer({ port: 0, dataDir, env, log: (l) => lines.push(l) }).then(
      () => new Error("the server started"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(
      new RegExp(
        `^The artifact store \\(ARTIFACT_STORE\\) failed its start-up check: artifact store s3://autoglm-artifacts/prod/ at ${endpoint}: the bucket cannot be reached: .*ECONNREFUSED`,
      ),
    );
    expect(err.message).not.toContain(SECRET);
    expect(lines.join("\n")).not.toContain(SECRET);
    // Nothing was started or created: no database in the data directory.
    expect(existsSync(path.join(dataDir, "pglite"))).toBe(false);
  });

  it("refuses a value it cannot use, naming the variable and not echoing it", async () => {
    const err = await startServer({
      port: 0,
      dataDir: dataDirOf(),
      env: { ARTIFACT_STORE: "s3://key:secret-value@bucket/x" },
      log: () => {},
    }).then(
      () => new Error("the server started"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toBe(
      "Invalid server configuration:\n  ARTIFACT_STORE: must not hold credentials or a port: use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL_S3",
    );
    const relative = await startServer({
      port: 0,
      dataDir: dataDirOf(),
      env: { ARTIFACT_STORE: "artifacts" },
      log: () => {},
    }).catch((e: Error) => e);
    expect((relative as Error).message).toContain(
      "ARTIFACT_STORE: is a relative path (use s3://bucket/prefix, file:///absolute/path or an absolute path)",
    );
  });

  it("fails fast when the local directory cannot be written", async () => {
    const dataDir = dataDirOf();
    const err = await startServer({ port: 0, dataDir, env: { ARTIFACT_STORE: "/dev/null/artifacts" }, log: () => {} }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(
      /^The artifact store \(ARTIFACT_STORE\) failed its start-up check: the artifact directory \/dev\/null\/artifacts is not writable: .*ENOTDIR/,
    );
  });

  it("holds the bucket it checked, and the data directory's store by default", async (ctx) => {
    if (!s3) return ctx.skip(s3Skip);
    await s3.createBucket("autoglm-artifacts");
    const env = {
      ARTIFACT_STORE: "s3://autoglm-artifacts/prod",
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    const server = await startServer({ port: 0, db, dataDir: dataDirOf(), env, log: () => {} });
    try {
      expect(server.artifacts.location).toBe("s3://autoglm-artifacts/prod/");
      expect(await server.artifacts.put("probe/hello.txt", Readable.from([Buffer.from("hi")]))).toMatchObject({ size: 2 });
      expect((await server.artifacts.list("")).map((o) => o.key)).toEqual(["probe/hello.txt"]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }

    const dataDir = dataDirOf();
    const local = await startServer({ port: 0, db, dataDir, env: {}, log: () => {} });
    try {
      expect(local.artifacts.location).toBe(path.join(dataDir, "artifacts"));
      expect(readdirSync(path.join(dataDir, "artifacts"))).toEqual([]);
    } finally {
      await local.close();
    }
  });
});

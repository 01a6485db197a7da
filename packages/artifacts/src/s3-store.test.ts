import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store } from "./s3-store.js";
import { generatedBody } from "./testing/bodies.js";
import { startS3TestServer, type S3TestServer } from "./testing/s3-test-server.js";

const MiB = 1024 * 1024;
let s3: S3TestServer | undefined;
let skip: string | undefined;
beforeAll(async () => {
  const started = await startS3TestServer();
  if ("skip" in started) {
    skip = started.skip;
    console.log(`SKIPPED the S3 store's tests: ${skip}`);
  } else s3 = started;
});
afterAll(() => s3?.stop());

/** A port nothing listens on: taken from the OS, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe("S3Store against a real S3 server", () => {
  it("issues presigned URLs: a plain fetch PUTs the object and another GETs it back", async (ctx) => {
    if (!s3) return ctx.skip(skip);
    await s3.createBucket("presign");
    const store = new S3Store({ ...s3, bucket: "presign", prefix: "runs/" });
    try {
      const key = "teams/t/projects/p/studies/s/trials/x/attempts/0/metrics.json";
      const putUrl = await store.presignPut(key, 300);
      expect(new URL(putUrl).searchParams.get("X-Amz-Expires")).toBe("300");
      expect(putUrl).not.toContain(s3.credentials.secretAccessKey);
      const put = await fetch(putUrl, { method: "PUT", body: '{"loss":0.1}' });
      expect(put.status).toBe(200);
      expect(await store.stat(key)).toMatchObject({ key, size: 12 });
      const get = await fetch(await store.presignGet(key, 60));
      expect([get.status, await get.text()]).toEqual([200, '{"loss":0.1}']);
      await expect(store.presignGet(key, 8 * 24 * 3600)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        message: "a presigned URL lives 1 to 604800 seconds, not 691200",
      });
      await expect(store.presignPut("../x", 60)).rejects.toMatchObject({ code: "INVALID_KEY" });
    } finally {
      await store.close();
    }
  });

  it("aborts the multipart upload of a refused body: no object and no parts are left", async (ctx) => {
    if (!s3) return ctx.skip(skip);
    await s3.createBucket("aborted");
    const store = new S3Store({ ...s3, bucket: "aborted", partSizeBytes: 5 * MiB });
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials, forcePathStyle: true });
    try {
      const body = generatedBody(16 * MiB, 5);
      await expect(store.put("big.bin", body.stream(), { sha256: "f".repeat(64) })).rejects.toMatchObject({
        code: "SHA256_MISMATCH",
      });
      expect(await store.list("")).toEqual([]);
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: "aborted" }));
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      client.destroy();
      await store.close();
    }
  });

  it("check() says which bucket is missing", async (ctx) => {
    if (!s3) return ctx.skip(skip);
    const store = new S3Store({ ...s3, bucket: "no-such-bucket", prefix: "a/" });
    await expect(store.check()).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: `artifact store s3://no-such-bucket/a/ at ${s3.endpoint}: the bucket cannot be reached: NotFound (HTTP 404): no such bucket`,
    });
    await store.close();
  });
});

describe("S3Store without a server", () => {
  it("check() fails with the endpoint and the network error, never the credentials", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const credentials = { accessKeyId: "AKIAEXAMPLEKEY", secretAccessKey: "example-secret-never-printed" };
    const store = new S3Store({ bucket: "artifacts", endpoint, credentials, maxAttempts: 1 });
    const err = await store.check().then(
      () => new Error("check() passed"),
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: "UNAVAILABLE" });
    expect(err.message).toMatch(
      new RegExp(`^artifact store s3://artifacts/ at ${endpoint}: the bucket cannot be reached: .*ECONNREFUSED`),
    );
    expect(err.message).not.toContain("example-secret");
    expect(err.message).not.toContain("AKIAEXAMPLEKEY");
    await store.close();
  });
});

import path from "node:path";
import { describe, expect, it } from "vitest";
import { LocalDirStore } from "./local-dir-store.js";
import { openArtifactStore, parseArtifactStoreSpec } from "./open-artifact-store.js";
import { S3Store } from "./s3-store.js";

const dataDir = "/var/lib/autoglm";

describe("ARTIFACT_STORE", () => {
  it("defaults to <data dir>/artifacts and takes absolute paths and file: URLs", () => {
    expect(parseArtifactStoreSpec(undefined, dataDir)).toEqual({ kind: "local", root: "/var/lib/autoglm/artifacts" });
    expect(parseArtifactStoreSpec("", "rel/data")).toEqual({ kind: "local", root: path.resolve("rel/data/artifacts") });
    expect(parseArtifactStoreSpec("/srv/artifacts/", dataDir)).toEqual({ kind: "local", root: "/srv/artifacts" });
    expect(parseArtifactStoreSpec("/srv/a/../b", dataDir)).toEqual({ kind: "local", root: "/srv/b" });
    expect(parseArtifactStoreSpec("file:///srv/my%20artifacts", dataDir)).toEqual({ kind: "local", root: "/srv/my artifacts" });
    expect(parseArtifactStoreSpec("file://localhost/srv/x", dataDir)).toEqual({ kind: "local", root: "/srv/x" });
  });

  it("takes s3://bucket/prefix, the prefix normalized to end with one /", () => {
    expect(parseArtifactStoreSpec("s3://my-bucket", dataDir)).toEqual({ kind: "s3", bucket: "my-bucket", prefix: "" });
    expect(parseArtifactStoreSpec("s3://my-bucket/", dataDir)).toEqual({ kind: "s3", bucket: "my-bucket", prefix: "" });
    expect(parseArtifactStoreSpec("s3://my.bucket/prod/autoglm/", dataDir)).toEqual({
      kind: "s3",
      bucket: "my.bucket",
      prefix: "prod/autoglm/",
    });
  });

  it.each([
    ["relative/dir", "ARTIFACT_STORE is a relative path (use s3://bucket/prefix, file:///absolute/path or an absolute path)"],
    [
      "gs://bucket/x",
      'ARTIFACT_STORE has the unsupported scheme "gs:" (use s3://bucket/prefix, file:///absolute/path or an absolute path)',
    ],
    ["file://fileserver/share", "ARTIFACT_STORE names a file on another host (use file:///absolute/path)"],
    [
      "s3://My_Bucket/x",
      'ARTIFACT_STORE has the bucket name "My_Bucket", which S3 does not allow (3–63 lowercase letters, digits, "." and "-")',
    ],
    ["s3://", 'ARTIFACT_STORE has the bucket name "", which S3 does not allow'],
    ["s3://bucket/a/../b", 'ARTIFACT_STORE has a bad key prefix: prefix "a/../b" contains a ".." segment'],
    ["s3://bucket/a//b", 'ARTIFACT_STORE has a bad key prefix: prefix "a//b" has an empty segment'],
    ["s3://bucket/x?versioning=1", "ARTIFACT_STORE has a query or fragment; write s3://bucket/prefix"],
    ["/srv/a\0b", "ARTIFACT_STORE contains a NUL character"],
  ])("refuses %j", (spec, message) => {
    expect(() => parseArtifactStoreSpec(spec, dataDir)).toThrow(
      expect.objectContaining({ code: "CONFIG", message: expect.stringContaining(message) }),
    );
  });

  it("never echoes credentials written into the value", () => {
    const err = (() => {
      try {
        parseArtifactStoreSpec("s3://AKIAEXAMPLE:topsecret@bucket/x", dataDir);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe(
      "ARTIFACT_STORE must not hold credentials or a port: use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL_S3",
    );
  });

  it("opens the store it names", async () => {
    const local = openArtifactStore(undefined, dataDir);
    expect([local, local.location]).toEqual([expect.any(LocalDirStore), "/var/lib/autoglm/artifacts"]);
    const s3 = openArtifactStore("s3://bucket/runs", dataDir, { endpoint: "http://127.0.0.1:9000", region: "eu-west-1" });
    expect([s3, s3.location]).toEqual([expect.any(S3Store), "s3://bucket/runs/"]);
    await s3.close();
  });
});

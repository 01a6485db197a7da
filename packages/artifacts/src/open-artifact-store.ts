import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkRelativeName } from "./artifact-key.js";
import { ArtifactStoreError } from "./errors.js";
import { LocalDirStore } from "./local-dir-store.js";
import { S3Store, type S3StoreOptions } from "./s3-store.js";
import type { ArtifactStore } from "./store.js";

/** Where ARTIFACT_STORE says the artifacts go. */
export type TArtifactStoreSpec = { kind: "local"; root: string } | { kind: "s3"; bucket: string; prefix: string };

const VARIABLE = "ARTIFACT_STORE";
const FORMS = "s3://bucket/prefix, file:///absolute/path or an absolute path";
// S3's bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens, alphanumeric at both ends.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function configError(problem: string): ArtifactStoreError {
  return new ArtifactStoreError("CONFIG", `${VARIABLE} ${problem}`);
}

/**
 * Reads ARTIFACT_STORE: unset or empty → `<dataDir>/artifacts`; `file:///abs/path` or `/abs/path`
 * → that directory; `s3://bucket/prefix` → the bucket. Errors name the variable and never echo
 * its value (someone may have put credentials in it).
 */
export function parseArtifactStoreSpec(spec: string | undefined, dataDir: string): TArtifactStoreSpec {
  if (spec === undefined || spec === "") return { kind: "local", root: path.resolve(dataDir, "artifacts") };
  if (spec.includes("\0")) throw configError("contains a NUL character");
  if (spec.startsWith("/")) return { kind: "local", root: path.resolve(spec) };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(spec)?.[1]?.toLowerCase();
  if (scheme === "file") return { kind: "local", root: localPath(spec) };
  if (scheme === "s3") return s3Spec(spec);
  if (scheme) throw configError(`has the unsupported scheme "${scheme}:" (use ${FORMS})`);
  throw configError(`is a relative path (use ${FORMS})`);
}

function localPath(spec: string): string {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw configError(`is not a valid file: URL (use file:///absolute/path)`);
  }
  if (url.host !== "" && url.host !== "localhost") throw configError(`names a file on another host (use file:///absolute/path)`);
  if (url.search || url.hash) throw configError("has a query or fragment; a file: URL is a path only");
  return path.resolve(fileURLToPath(url));
}

function s3Spec(spec: string): TArtifactStoreSpec {
  const m = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(spec);
  if (!m) throw configError("has a query or fragment; write s3://bucket/prefix");
  const [, bucket = "", rawPrefix = ""] = m;
  if (bucket.includes("@") || bucket.includes(":")) {
    throw configError(
      "must not hold credentials or a port: use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and AWS_ENDPOINT_URL_S3",
    );
  }
  if (!BUCKET.test(bucket)) {
    throw configError(`has the bucket name "${bucket}", which S3 does not allow (3–63 lowercase letters, digits, "." and "-")`);
  }
  const prefix = rawPrefix.replace(/^\//, "").replace(/\/$/, "");
  if (prefix !== "") {
    try {
      checkRelativeName(prefix, "prefix");
    } catch (err) {
      throw configError(`has a bad key prefix: ${(err as Error).message}`);
    }
  }
  return { kind: "s3", bucket, prefix: prefix ? `${prefix}/` : "" };
}

/** What the S3 client needs besides the bucket (from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, credentials). */
export type TS3Settings = Omit<S3StoreOptions, "bucket" | "prefix">;

/** The store ARTIFACT_STORE names (see parseArtifactStoreSpec). Nothing is touched until check() or a first call. */
export function openArtifactStore(spec: string | undefined, dataDir: string, s3: TS3Settings = {}): ArtifactStore {
  const parsed = parseArtifactStoreSpec(spec, dataDir);
  if (parsed.kind === "local") return new LocalDirStore(parsed.root);
  return new S3Store({ ...s3, bucket: parsed.bucket, prefix: parsed.prefix });
}

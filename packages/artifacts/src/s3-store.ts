import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Readable } from "node:stream";
import { checkKey } from "./artifact-key.js";
import { ArtifactStoreError, quoted, reasonOf } from "./errors.js";
import { VerifyingStream } from "./integrity.js";
import { checkPrefix, checkRange } from "./prefix.js";
import { partSizeFor, uploadInParts } from "./s3-part-upload.js";
import type { ArtifactStore, TArtifactStat, TByteRange, TPutOptions, TPutResult } from "./store.js";

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key: "" or segments ending with "/". */
  prefix?: string;
  /** An S3-compatible server's URL (MinIO, Ceph, moto…); addressed path-style when set. Unset: AWS. */
  endpoint?: string;
  /** Default us-east-1, which S3-compatible servers accept whatever their own setting. */
  region?: string;
  /** Unset: the SDK's default chain (environment, web identity, instance profile…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Multipart part size; default 5 MiB, S3's minimum. Memory follows it: an upload holds
   * queueSize + 1 parts (s3-part-upload.ts). Against moto, a 1 GiB upload grew the process's RSS
   * by 68 MiB with 5 MiB parts and 79 MiB with 8 MiB ones, and went faster (91-110 against
   * 43-78 MiB/s). An upload whose size is announced gets larger parts where 10,000 of these
   * (S3's limit, 50 GB) would not hold it; one of unknown size is limited to 10,000 parts.
   */
  partSizeBytes?: number;
  /** Parts sent at once; default 4, which real S3 needs for throughput (one part stream is far slower than the link). */
  queueSize?: number;
  /** How long a connection may take to open: an unreachable endpoint fails check() within attempts × this. */
  connectionTimeoutMs?: number;
  maxAttempts?: number;
}

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // SigV4's limit
const DEFAULT_PART_BYTES = 5 * 1024 * 1024;

/** Objects in an S3-compatible bucket through @aws-sdk/client-s3; large uploads are multipart streams (s3-part-upload.ts). */
export class S3Store implements ArtifactStore {
  readonly kind = "s3" as const;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? "";
    const config: S3ClientConfig = {
      region: options.region ?? "us-east-1",
      // S3-compatible servers are addressed by path (http://host/bucket/key): virtual-hosted
      // names (bucket.host) need wildcard DNS, which a MinIO or moto endpoint rarely has.
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The SDK adds CRC32 checksums to every upload by default (since 3.729); S3-compatible
      // servers differ in supporting them. We verify SHA-256 ourselves: checksums only where S3
      // requires them (DeleteObjects).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5_000 },
    };
    this.client = new S3Client(config);
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async put(key: string, body: Readable, expected?: TPutOptions): Promise<TPutResult> {
    checkKey(key);
    const verifier = new VerifyingStream(expected);
    body.once("error", (err) => verifier.destroy(err));
    verifier.once("error", () => body.destroy());
    body.pipe(verifier);
    const target = {
      client: this.client,
      bucket: this.bucket,
      key: this.prefix + key,
      partSize: partSizeFor(expected?.size, this.options.partSizeBytes ?? DEFAULT_PART_BYTES),
      queueSize: this.options.queueSize ?? 4,
      sizeHint: expected?.size,
    };
    // The verifier fails the body before its end when the bytes disagree: then no PutObject is
    // sent (small bodies) or the multipart upload is aborted, so nothing is stored.
    await uploadInParts(target, verifier).catch((err: unknown) => {
      throw err instanceof ArtifactStoreError ? err : this.unavailable(`upload of ${quoted(key)} failed`, err);
    });
    return verifier.result();
  }

  async get(key: string, range?: TByteRange): Promise<Readable> {
    checkKey(key);
    checkRange(range);
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          ...(range ? { Range: `bytes=${range.start}-${range.end ?? ""}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new ArtifactStoreError("NOT_FOUND", `no artifact under key ${quoted(key)}`);
      throw this.unavailable(`reading ${quoted(key)} failed`, err);
    }
  }

  async stat(key: string): Promise<TArtifactStat | null> {
    checkKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.unavailable(`stat of ${quoted(key)} failed`, err);
    }
  }

  async list(prefix: string): Promise<TArtifactStat[]> {
    checkPrefix(prefix);
    const found: TArtifactStat[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: this.prefix + prefix },
      )) {
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          found.push({ key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) });
        }
      }
    } catch (err) {
      throw this.unavailable(`listing ${quoted(prefix)} failed`, err);
    }
    return found; // ListObjectsV2 returns keys in ascending UTF-8 order
  }

  async delete(prefix: string): Promise<number> {
    if (prefix === "")
      throw new ArtifactStoreError("INVALID_KEY", "delete() needs a prefix: an empty one would delete every object");
    const objects = await this.list(prefix);
    // DeleteObjects takes at most 1,000 keys per request.
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000).map((o) => ({ Key: this.prefix + o.key }));
      let errors: { Key?: string; Message?: string }[] | undefined;
      try {
        errors = (
          await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }))
        ).Errors;
      } catch (err) {
        throw this.unavailable(`deleting ${quoted(prefix)} failed`, err);
      }
      if (errors?.length) {
        throw new ArtifactStoreError(
          "UNAVAILABLE",
          `deleting ${quoted(prefix)} failed for ${errors.length} objects: ${errors[0]!.Message ?? ""}`,
        );
      }
    }
    return objects.length;
  }

  async presignPut(key: string, ttlSeconds: number): Promise<string> {
    checkKey(key);
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
      expiresIn: checkTtl(ttlSeconds),
    });
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    checkKey(key);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
      expiresIn: checkTtl(ttlSeconds),
    });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw this.unavailable("the bucket cannot be reached", err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private unavailable(what: string, err: unknown): ArtifactStoreError {
    const where = this.options.endpoint ? ` at ${this.options.endpoint}` : "";
    const reason = isMissing(err) ? "NotFound (HTTP 404): no such bucket" : reasonOf(err);
    return new ArtifactStoreError("UNAVAILABLE", `artifact store ${this.location}${where}: ${what}: ${reason}`, { cause: err });
  }
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.name === "NoSuchBucket" || e?.$metadata?.httpStatusCode === 404;
}

function checkTtl(ttlSeconds: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
    throw new ArtifactStoreError(
      "INVALID_ARGUMENT",
      `a presigned URL lives 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${ttlSeconds}`,
    );
  }
  return ttlSeconds;
}

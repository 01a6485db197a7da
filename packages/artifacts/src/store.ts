import type { Readable } from "node:stream";

/** What a sender announced about an upload; put() refuses the upload if the bytes disagree. */
export interface TPutOptions {
  /** Expected length in bytes. */
  size?: number;
  /** Expected SHA-256, 64 hex digits. */
  sha256?: string;
}

/** What was stored: the length and SHA-256 of the bytes actually received. */
export interface TPutResult {
  size: number;
  sha256: string;
}

export interface TArtifactStat {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** Bytes `start`..`end` inclusive (HTTP Range semantics); `end` defaults to the last byte. */
export interface TByteRange {
  start: number;
  end?: number;
}

/**
 * The artifact store (ARCHITECTURE.md "Artifacts"): a local directory or an S3-compatible
 * bucket. Keys come from `artifactKey` (server ids + a checked file name); every method checks
 * its key again. Bodies stream both ways: a 1 GB file never sits in memory.
 */
export interface ArtifactStore {
  readonly kind: "local" | "s3";
  /** Where objects go, for logs: a directory or `s3://bucket/prefix` (never credentials). */
  readonly location: string;
  /**
   * Streams `body` to `key`, computing its SHA-256 on the way. When `expected` disagrees with
   * what arrived (size or hash), nothing is stored (an existing object under `key` stays as it
   * was) and the error's code is SIZE_MISMATCH or SHA256_MISMATCH.
   */
  put(key: string, body: Readable, expected?: TPutOptions): Promise<TPutResult>;
  /** The object's bytes (or a range of them); NOT_FOUND when there is none. */
  get(key: string, range?: TByteRange): Promise<Readable>;
  /** Size and time of the object, or null when there is none. */
  stat(key: string): Promise<TArtifactStat | null>;
  /** Every object whose key starts with `prefix` ("" for all), sorted by key. */
  list(prefix: string): Promise<TArtifactStat[]>;
  /** Deletes every object whose key starts with `prefix` (never ""): how many were deleted. */
  delete(prefix: string): Promise<number>;
  /** A URL that accepts one HTTP PUT of the object for `ttlSeconds` (S3 only). */
  presignPut?(key: string, ttlSeconds: number): Promise<string>;
  /** A URL that serves the object by HTTP GET for `ttlSeconds` (S3 only). */
  presignGet?(key: string, ttlSeconds: number): Promise<string>;
  /** Throws UNAVAILABLE with the reason unless the store can be written: the directory, or the bucket. */
  check(): Promise<void>;
  close(): Promise<void>;
}

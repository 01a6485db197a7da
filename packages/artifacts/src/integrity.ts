import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ArtifactStoreError } from "./errors.js";
import type { TPutOptions, TPutResult } from "./store.js";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Refuses announced values that cannot be right before a byte is read. */
export function checkExpected(expected: TPutOptions | undefined): void {
  if (expected?.size !== undefined && (!Number.isSafeInteger(expected.size) || expected.size < 0)) {
    throw new ArtifactStoreError("SIZE_MISMATCH", `expected size ${expected.size} is not a non-negative integer`);
  }
  if (expected?.sha256 !== undefined && !SHA256_HEX.test(expected.sha256)) {
    throw new ArtifactStoreError("SHA256_MISMATCH", "expected sha256 is not 64 lowercase hex digits");
  }
}

/**
 * A pass-through stream that hashes and counts what flows through and fails the stream,
 * before its end reaches the store, when the bytes disagree with what was announced. Both
 * stores commit only on a clean end (rename; S3's PutObject or CompleteMultipartUpload), so a
 * refused upload leaves nothing. Too many bytes fail at once, not after the whole body.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash("sha256");
  private bytes = 0;
  private digest: string | undefined;

  constructor(private readonly expected: TPutOptions = {}) {
    super();
    checkExpected(expected);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      done(new ArtifactStoreError("SIZE_MISMATCH", `received more than the announced ${this.expected.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const digest = this.hash.digest("hex");
    if (this.expected.size !== undefined && this.bytes !== this.expected.size) {
      done(new ArtifactStoreError("SIZE_MISMATCH", `received ${this.bytes} bytes, ${this.expected.size} were announced`));
      return;
    }
    if (this.expected.sha256 !== undefined && digest !== this.expected.sha256) {
      done(
        new ArtifactStoreError("SHA256_MISMATCH", `received bytes with SHA-256 ${digest}, ${this.expected.sha256} was announced`),
      );
      return;
    }
    this.digest = digest;
    done();
  }

  /** Size and SHA-256 of what passed; only after the stream ended cleanly. */
  result(): TPutResult {
    if (this.digest === undefined) throw new Error("VerifyingStream.result() before the stream ended");
    return { size: this.bytes, sha256: this.digest };
  }
}

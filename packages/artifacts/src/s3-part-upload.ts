import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";

/** S3 refuses a multipart upload of more parts than this. */
const MAX_PARTS = 10_000;
const MiB = 1024 * 1024;

/** `partSize`, or the whole MiB that fits `size` bytes (when announced) into S3's 10,000 parts, whichever is larger. */
export function partSizeFor(size: number | undefined, partSize: number): number {
  return size === undefined ? partSize : Math.max(partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

export interface TPartUploadTarget {
  client: S3Client;
  bucket: string;
  key: string;
  /** Bytes per part (S3's minimum is 5 MiB for every part but the last). */
  partSize: number;
  /** Parts sent at once. */
  queueSize: number;
  /** The size the uploader announced, when it did: a body smaller than a part gets a buffer of its own size. */
  sizeHint?: number | undefined;
}

/**
 * Streams `body` into one S3 object: a single PutObject when it fits one part, otherwise a
 * multipart upload that is completed only after `body` ended cleanly and aborted (no parts
 * left) when `body` or any part fails.
 *
 * Why not lib-storage's `Upload`: it gathers each part as a list of chunks, Buffer.concat's
 * them into a fresh buffer a chunk longer than the part and keeps a slice of that for the
 * next part, so it holds more than its parts (49 MiB live for 4 × 5 MiB in flight, measured
 * after each GC) and leaves one dead part-sized buffer per part to the garbage collector.
 * Here each byte is copied once into one of `queueSize + 1` part buffers that are reused for
 * the whole upload: the memory it holds is fixed.
 */
export async function uploadInParts(target: TPartUploadTarget, body: AsyncIterable<Buffer>): Promise<void> {
  const upload = new PartUpload(target);
  try {
    // One byte over the announced size, so a body that is longer than announced still fills it and goes
    // multipart (and the verifier refuses it) rather than being cut.
    const small = target.sizeHint !== undefined && target.sizeHint < target.partSize;
    let part = small ? Buffer.allocUnsafe(target.sizeHint! + 1) : upload.buffer();
    let filled = 0;
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length;) {
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === part.length) {
          await upload.send(part, filled);
          part = upload.buffer();
          filled = 0;
        }
      }
    }
    await upload.finish(part, filled);
  } catch (err) {
    await upload.abort();
    throw err;
  }
}

/** The parts of one upload: their buffers, those in flight, and the parts S3 has acknowledged. */
class PartUpload {
  private readonly free: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly done: CompletedPart[] = [];
  private uploadId: string | undefined;
  private partNumber = 0;
  private failure: { err: unknown } | undefined;

  constructor(private readonly t: TPartUploadTarget) {}

  /** A part buffer: one a finished part gave back, or a new one (at most queueSize + 1 exist). */
  buffer(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.t.partSize);
  }

  /** Starts sending a part once fewer than queueSize are in flight; its buffer comes back when S3 answered. */
  async send(part: Buffer, length: number): Promise<void> {
    this.uploadId ??= await this.create();
    while (this.inFlight.size >= this.t.queueSize) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.err;
    const partNumber = ++this.partNumber;
    if (partNumber > MAX_PARTS) {
      throw new Error(`the object is larger than ${MAX_PARTS} parts of ${this.t.partSize} bytes, S3's limit`);
    }
    const sent: Promise<void> = this.t.client
      .send(
        new UploadPartCommand({
          Bucket: this.t.bucket,
          Key: this.t.key,
          UploadId: this.uploadId,
          PartNumber: partNumber,
          Body: length === part.length ? part : part.subarray(0, length),
        }),
      )
      .then((out) => {
        if (!out.ETag) throw new Error(`S3 answered part ${partNumber} without an ETag`);
        this.done.push({ PartNumber: partNumber, ETag: out.ETag });
        this.free.push(part);
      })
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  /** The body ended cleanly: one PutObject if no part went out yet, else the last part and the completion. */
  async finish(part: Buffer, filled: number): Promise<void> {
    if (this.uploadId === undefined) {
      await this.t.client.send(new PutObjectCommand({ Bucket: this.t.bucket, Key: this.t.key, Body: part.subarray(0, filled) }));
      return;
    }
    if (filled > 0) await this.send(part, filled);
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure.err;
    await this.t.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.t.bucket,
        Key: this.t.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.done.sort((a, b) => a.PartNumber! - b.PartNumber!) },
      }),
    );
  }

  /** After a failure: waits for the parts in flight, then drops every part S3 holds (best effort: the first error is the one reported). */
  async abort(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.uploadId === undefined) return;
    await this.t.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.t.bucket, Key: this.t.key, UploadId: this.uploadId }))
      .catch(() => {});
  }

  private async create(): Promise<string> {
    const out = await this.t.client.send(new CreateMultipartUploadCommand({ Bucket: this.t.bucket, Key: this.t.key }));
    if (!out.UploadId) throw new Error("S3 answered CreateMultipartUpload without an UploadId");
    return out.UploadId;
  }
}

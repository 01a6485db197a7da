import { createHash } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A deterministic body of `size` bytes made on the fly in 1 MiB chunks (never held whole),
 * with its SHA-256 known up front, and the highest RSS seen while it was read.
 */
export function generatedBody(size: number, seed = 1): { sha256: string; stream(): Readable; peakRss(): number } {
  const CHUNK = 1024 * 1024;
  // One pseudo-random 1 MiB block (an LCG: no entropy needed), each chunk stamped with its index
  // and the seed, so a hash over the body catches a lost, doubled or reordered chunk.
  const block = Buffer.alloc(CHUNK);
  for (let i = 0, x = seed; i < CHUNK; i += 4) block.writeUInt32LE((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), i);
  const chunkAt = (offset: number): Buffer => {
    const b = Buffer.from(block.subarray(0, Math.min(CHUNK, size - offset)));
    if (b.length >= 16) {
      b.writeDoubleLE(offset / CHUNK, 0);
      b.writeDoubleLE(seed, 8);
    }
    return b;
  };
  const hash = createHash("sha256");
  for (let offset = 0; offset < size; offset += CHUNK) hash.update(chunkAt(offset));
  let peak = 0;
  return {
    sha256: hash.digest("hex"),
    stream() {
      let offset = 0;
      return new Readable({
        read() {
          peak = Math.max(peak, process.memoryUsage.rss());
          if (offset >= size) {
            this.push(null);
            return;
          }
          const chunk = chunkAt(offset);
          offset += chunk.length;
          this.push(chunk);
        },
      });
    },
    peakRss: () => peak,
  };
}

/** Collects a (small) stream into a Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { tooLarge } from "./errors.js";

/**
 * A pass-through that hashes (sha256) and counts what flows through it and,
 * optionally, hands each chunk to `sink` first (e.g. a content-store writer),
 * waiting for it so backpressure reaches the source.
 */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  size = 0;

  constructor(private readonly sink?: (chunk: Buffer) => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.sink) {
      cb(null, chunk);
      return;
    }
    this.sink(chunk).then(
      () => cb(null, chunk),
      (err) => cb(err),
    );
  }

  digest(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

/**
 * Reads a whole (small) stream into a buffer. Past `limit` bytes it stops
 * reading and throws TooLarge, so a huge body never sits in memory.
 */
export async function readAll(stream: AsyncIterable<Uint8Array>, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += c.length;
    if (size > limit) throw tooLarge(`request body is larger than ${limit} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

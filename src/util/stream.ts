import { createHash } from "node:crypto";
import { type Duplex, Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
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
 * reading and throws TooLarge, so a huge body never sits in memory; the
 * stream is left paused, not destroyed (an HTTP request's socket must stay
 * open for the answer).
 */
export async function readAll(
  stream: AsyncIterable<Uint8Array> | Readable,
  limit = Infinity,
): Promise<Buffer> {
  if (!(stream instanceof Readable)) {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        cleanup();
        stream.pause();
        chunks.length = 0;
        reject(tooLarge(`request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    stream.on("data", onData).on("end", onEnd).on("error", onError);
  });
}

/**
 * `source` through `stages` as one Readable (the last stage), joined with
 * stream/promises.pipeline instead of `.pipe()`: backpressure end to end, an
 * error in any stage destroys every stage and reaches the consumer of the
 * last, a consumer that destroys the last stage (it went away) destroys the
 * source (its fd is closed), and `signal` aborting destroys them all with an
 * AbortError. The pipeline's own promise is not awaited: its outcome is on
 * the returned stream.
 */
export function piped(source: Readable, stages: Duplex[], signal?: AbortSignal): Readable {
  const last = stages.at(-1);
  if (!last) return source;
  pipeline([source, ...stages], signal ? { signal } : {}).catch(() => {});
  return last;
}

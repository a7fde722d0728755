import { createHash } from "node:crypto";
import { Transform } from "node:stream";
/**
 * A pass-through that hashes (sha256) and counts what flows through it and,
 * optionally, hands each chunk to `sink` first (e.g. a content-store writer),
 * waiting for it so backpressure reaches the source.
 */
export class HashingStream extends Transform {
    sink;
    hash = createHash("sha256");
    size = 0;
    constructor(sink) {
        super();
        this.sink = sink;
    }
    _transform(chunk, _enc, cb) {
        this.hash.update(chunk);
        this.size += chunk.length;
        if (!this.sink) {
            cb(null, chunk);
            return;
        }
        this.sink(chunk).then(() => cb(null, chunk), (err) => cb(err));
    }
    digest() {
        return `sha256:${this.hash.digest("hex")}`;
    }
}
/** Reads a whole (small) stream into a buffer. */
export async function readAll(stream) {
    const chunks = [];
    for await (const c of stream)
        chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
}
//# sourceMappingURL=stream.js.map
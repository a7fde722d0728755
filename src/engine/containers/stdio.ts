/**
 * Docker's stream framing for attach, logs and exec without a TTY: each
 * frame is an 8-byte header [stream, 0, 0, 0, size (uint32 BE)] then the
 * payload; stream 0 = stdin, 1 = stdout, 2 = stderr. With a TTY the bytes
 * go raw.
 */
import type { Writable } from "node:stream";

export function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Writes to `out` framed (no TTY) or raw (TTY), respecting backpressure. */
export function streamWriter(out: Writable, tty: boolean) {
  return async (stream: 1 | 2, data: Buffer): Promise<void> => {
    if (data.length === 0 || out.destroyed || out.writableEnded) return;
    const ok = out.write(tty ? data : frame(stream, data));
    if (!ok) await new Promise<void>((r) => out.once("drain", r).once("close", r));
  };
}

/** Docker's detach keys ("ctrl-p,ctrl-q" by default) as bytes. */
export function parseDetachKeys(spec: string | null | undefined): Buffer {
  const s = spec || "ctrl-p,ctrl-q";
  const out: number[] = [];
  for (const k of s.split(",")) {
    const m = /^ctrl-(.)$/.exec(k);
    if (m) {
      const c = m[1]!;
      const map: Record<string, number> = { "@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, _: 31 };
      out.push(c in map ? map[c]! : c.toLowerCase().charCodeAt(0) - 96);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
  }
  return Buffer.from(out);
}

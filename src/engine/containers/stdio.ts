/**
 * Docker's stream framing for attach, logs and exec without a TTY: each
 * frame is an 8-byte header [stream, 0, 0, 0, size (uint32 BE)] then the
 * payload; stream 0 = stdin, 1 = stdout, 2 = stderr. With a TTY the bytes
 * go raw.
 */
import type { Duplex, Writable } from "node:stream";

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
    if (!out.write(tty ? data : frame(stream, data))) await drained(out);
  };
}

/** Resolves on the stream's next "drain" or "close", leaving no listener behind. */
export function drained(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

export interface StdinForward {
  /** Docker's detach sequence (honoured only with a TTY, as Docker does); empty for none. */
  detachKeys: Buffer;
  /** The client typed the detach keys: stop forwarding, keep the process running. */
  onDetach(): void;
  /** The client's stdin is over (half-close or hang-up). */
  onEnd(): void;
}

/**
 * Copies a client connection's bytes into a process's stdin with
 * backpressure (the connection is paused while stdin is full), watching for
 * the detach keys: bytes of a partial match are held back until the match
 * fails, and the sequence itself never reaches the process.
 */
export function forwardStdin(conn: Duplex, stdin: Writable, o: StdinForward): void {
  const keys = o.detachKeys;
  let matched = 0;
  let over = false;
  const write = (b: Buffer) => {
    if (b.length && !stdin.write(b)) {
      conn.pause();
      void drained(stdin).then(() => {
        if (!over) conn.resume();
      });
    }
  };
  conn.on("data", (chunk: Buffer) => {
    if (over) return;
    if (!keys.length) return write(chunk);
    let start = 0; // first byte of the literal run not yet written
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== keys[matched] && matched > 0) {
        // The held-back bytes (always keys[0..matched)) were input after all.
        write(keys.subarray(0, matched));
        matched = 0;
        start = i;
      }
      if (b === keys[matched]) {
        if (matched === 0) write(chunk.subarray(start, i));
        matched++;
        start = i + 1;
        if (matched === keys.length) {
          over = true;
          o.onDetach();
          return;
        }
      }
    }
    write(chunk.subarray(start));
  });
  const finish = () => {
    if (over) return;
    over = true;
    o.onEnd();
  };
  conn.on("end", finish);
  conn.on("close", finish);
  // A paused socket still emits 'end' when EOF comes with nothing buffered:
  // a client that half-closed before we got here has already ended.
  if (conn.readableEnded || conn.destroyed) queueMicrotask(finish);
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

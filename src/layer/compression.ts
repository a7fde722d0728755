/** Layer compression: sniff the first bytes and undo gzip (zstd via the zstd binary, if installed). */
import { spawn } from "node:child_process";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip, type Gunzip, type Gzip } from "node:zlib";
import { invalid } from "../util/errors.js";
import { piped } from "../util/stream.js";

/**
 * zlib's output chunk. Node's default (16 KiB, with 64 KiB reads) costs a
 * main-thread callback per 16 KiB: gunzip and sha256 of a 200 MB layer took
 * 1.5-2 s and ~1 s of CPU; with 256 KiB (and 1 MiB reads, content/store.ts
 * BLOB_READ_CHUNK), 0.6 s and 0.5 s.
 */
export const ZLIB_CHUNK = 256 * 1024;

/** A gunzip stream with large output chunks (see ZLIB_CHUNK). */
export function gunzip(): Gunzip {
  return createGunzip({ chunkSize: ZLIB_CHUNK });
}

/** A gzip stream at `level` with large output chunks (see ZLIB_CHUNK). */
export function gzip(level = 6): Gzip {
  return createGzip({ level, chunkSize: ZLIB_CHUNK });
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

export function isZstd(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x28 && buf[1] === 0xb5 && buf[2] === 0x2f && buf[3] === 0xfd;
}

/** Reads until at least `n` bytes are buffered (or the stream ends), then puts them back. */
async function peek(input: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk: Buffer | null = input.read();
    if (chunk === null) {
      if (input.readableEnded) break;
      const ended = await new Promise<boolean>((resolve, reject) => {
        const onReadable = () => done(false);
        const onEnd = () => done(true);
        const onError = (err: Error) => {
          cleanup();
          reject(err);
        };
        const cleanup = () => {
          input.off("readable", onReadable).off("end", onEnd).off("error", onError);
        };
        const done = (v: boolean) => {
          cleanup();
          resolve(v);
        };
        input.on("readable", onReadable).on("end", onEnd).on("error", onError);
      });
      if (ended) break;
      continue;
    }
    chunks.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(chunks);
  if (head.length) input.unshift(head);
  return head;
}

/**
 * An uncompressed view of a layer or archive stream (gzip, zstd or plain
 * tar). The stages are joined by pipeline (util/stream.ts piped), never
 * `.pipe()`: an error on either side, the consumer destroying the view, or
 * `signal` aborting destroys the input too (its fd or socket is let go), and
 * a zstd child is killed.
 */
export async function decompress(input: Readable, signal?: AbortSignal): Promise<Readable> {
  const head = await peek(input, 4);
  if (isGzip(head)) return piped(input, [gunzip()], signal);
  if (isZstd(head)) {
    const child = spawn("zstd", ["-dc"], { stdio: ["pipe", "pipe", "ignore"] });
    const out = new PassThrough();
    child.on("error", () =>
      out.destroy(invalid("zstd-compressed layer, but the zstd program is not installed")),
    );
    child.on("exit", (code) => {
      if (code !== 0 && code !== null)
        out.destroy(invalid(`zstd failed to decompress the layer (exit ${code})`));
    });
    // The view gone (done, failed, abandoned): the child goes too, and so does the input.
    out.once("close", () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      input.destroy();
    });
    const opts = signal ? { signal } : {};
    pipeline(input, child.stdin, opts).catch((err) => out.destroy(err));
    pipeline(child.stdout, out, opts).catch(() => {}); // its error is on `out`
    return out;
  }
  return input;
}

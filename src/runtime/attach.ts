/**
 * Attach to a container through conmon's attach socket (SOCK_SEQPACKET):
 * packets from conmon start with a stream byte (2 = stdout, 3 = stderr);
 * bytes we send are the container's stdin; a write shutdown closes stdin.
 */

import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, Writable } from "node:stream";
import type { AttachStreams } from "../engine/containers/runtime-port.js";
import { SeqPacketSocket } from "../sys/libc.js";

const STDOUT = 2;
const STDERR = 3;
const MAX_PACKET = 8192;

export async function attachSocket(
  path: string,
  ctl: string | undefined,
  opts: { stdin: boolean; tty: boolean },
): Promise<AttachStreams> {
  const sock = await SeqPacketSocket.connect(path);
  const stdout = new PassThrough();
  const stderr = opts.tty ? undefined : new PassThrough();
  let closed = false;
  (async () => {
    try {
      for (;;) {
        const p = await sock.read(MAX_PACKET + 1);
        if (!p) break;
        const body = p.subarray(1);
        if (p[0] === STDERR && stderr) {
          if (!stderr.write(body)) await new Promise((r) => stderr.once("drain", r));
        } else if (p[0] === STDOUT || p[0] === STDERR) {
          if (!stdout.write(body)) await new Promise((r) => stdout.once("drain", r));
        }
      }
    } catch {
      // socket closed under us: end the streams
    }
    stdout.end();
    stderr?.end();
  })();
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!opts.stdin || closed) return cb();
      (async () => {
        for (let i = 0; i < chunk.length; i += MAX_PACKET)
          await sock.write(chunk.subarray(i, i + MAX_PACKET));
      })().then(() => cb(), cb);
    },
    final(cb) {
      if (!closed) sock.shutdownWrite();
      cb();
    },
  });
  stdin.on("error", () => {});
  return {
    stdin,
    stdout,
    stderr,
    resize: (cols, rows) => (ctl ? resizeVia(ctl, cols, rows) : undefined),
    close: () => {
      closed = true;
      sock.close();
    },
  };
}

/** Sends a resize to conmon's control fifo ("1 <rows> <cols>"). */
export async function resizeVia(ctl: string, cols: number, rows: number): Promise<void> {
  const fh = await open(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(`1 ${rows} ${cols}\n`);
  } finally {
    await fh.close();
  }
}

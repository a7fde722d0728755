/**
 * Attaching to a process conmon supervises, over its attach socket
 * (<socketDir>/<uuid>/attach, SOCK_SEQPACKET; conmon's src/conn_sock.c and
 * src/ctr_stdio.c):
 *   conmon -> us: one packet per read of the process's output, at most
 *                 8192 bytes of data after a 1-byte stream id (2 = stdout,
 *                 3 = stderr; a TTY's output is all stdout);
 *   us -> conmon: raw bytes for the process's stdin (see seqpacket.ts for
 *                 the packet size); EOF on any connection makes conmon close
 *                 the process's stdin unless it runs with --leave-stdin-open.
 * Because any connection's EOF closes stdin, berthd keeps ONE connection per
 * process (a StdioHub, like Docker's stdio broadcaster) and fans its output
 * out to every attached client; stdin from all clients goes into it, and
 * stdin is closed deliberately (closeStdin), never as a side effect.
 * Resizes go to the `ctl` fifo in conmon's bundle dir as "1 <rows> <cols>\n",
 * never through a connection.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, type Readable, Writable } from "node:stream";
import { SeqPacketConn } from "./seqpacket.js";

const STDOUT = 2;
const STDERR = 3;
/** A client this far behind the process's output is cut off rather than buffered further (bytes). */
const MAX_CLIENT_BACKLOG = 64 * 1024 * 1024;

/** One attached client's view of the process's stdio. */
export interface Attached {
  /** Bytes for the process's stdin; end() closes the process's stdin (for every client). */
  stdin: Writable;
  stdout: Readable;
  /** Absent with a TTY: one stream. */
  stderr?: Readable;
  resize(cols: number, rows: number): Promise<void>;
  /** Detaches this client only; the process and other clients carry on. */
  close(): void;
  /** Resolves when this client's output is over (process gone or client detached). */
  done: Promise<void>;
}

export interface HubOptions {
  tty: boolean;
  /** conmon's ctl fifo, for resizes. */
  ctl?: string;
  /**
   * Keep the connection while no client is attached. Needed when conmon
   * runs with -i but without --leave-stdin-open: dropping the connection
   * would close the process's stdin.
   */
  keepWhenIdle: boolean;
}

interface Subscriber {
  stdout: PassThrough;
  stderr?: PassThrough;
  dropUnread: boolean;
  finish(): void;
}

/** The one connection to a process's attach socket, shared by every attached client. */
export class StdioHub {
  private readonly subs = new Set<Subscriber>();
  private conn?: SeqPacketConn;
  private ended = false;
  private endResolve!: () => void;
  /** Resolves when conmon closed the socket or the hub was closed. */
  readonly done = new Promise<void>((r) => {
    this.endResolve = r;
  });

  private constructor(private readonly o: HubOptions) {}

  /** Connects to conmon's attach socket at `path`; rejects when nobody listens there. */
  static async open(path: string, o: HubOptions): Promise<StdioHub> {
    const hub = new StdioHub(o);
    hub.conn = await SeqPacketConn.connect(path, {
      onPacket: (p) => hub.dispatch(p),
      onClose: () => hub.finish(),
    });
    return hub;
  }

  get closed(): boolean {
    return this.ended;
  }

  private dispatch(p: Buffer): void {
    if (p.length < 2) return;
    const kind = p[0];
    if (kind !== STDOUT && kind !== STDERR) return;
    // node-unix-socket may reuse its receive buffer: copy once for all clients.
    const data = Buffer.from(p.subarray(1));
    for (const s of this.subs) {
      const out = kind === STDERR && s.stderr ? s.stderr : s.stdout;
      if (out.destroyed || out.writableEnded) continue;
      if (s.dropUnread && out.readableFlowing === null && out.readableLength >= out.readableHighWaterMark)
        continue;
      if (out.writableLength + out.readableLength > MAX_CLIENT_BACKLOG) {
        out.destroy(new Error("attached client is too slow: output backlog over 64 MiB"));
        continue;
      }
      out.write(data);
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of [...this.subs]) s.finish();
    this.subs.clear();
    this.endResolve();
  }

  /** Writes to the process's stdin; resolves once the kernel has it (backpressure). */
  writeStdin(data: Buffer): Promise<void> {
    return this.conn && !this.ended ? this.conn.write(data) : Promise.resolve();
  }

  /** Closes the process's stdin (conmon sees EOF); output keeps flowing. */
  closeStdin(): void {
    this.conn?.shutdownWrite();
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.o.ctl ? resizeVia(this.o.ctl, cols, rows) : Promise.resolve();
  }

  /** A new client: its own output streams, stdin shared with the others. */
  subscribe(opts: { dropUnread?: boolean } = {}): Attached {
    const stdout = new PassThrough();
    const stderr = this.o.tty ? undefined : new PassThrough();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    let finished = false;
    const sub: Subscriber = {
      stdout,
      stderr,
      dropUnread: opts.dropUnread ?? false,
      finish: () => {
        if (finished) return;
        finished = true;
        this.subs.delete(sub);
        stdout.end();
        stderr?.end();
        resolveDone();
      },
    };
    stdout.on("error", () => sub.finish());
    stderr?.on("error", () => sub.finish());
    if (this.ended) sub.finish();
    else this.subs.add(sub);
    const stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.writeStdin(chunk).then(() => cb(), cb);
      },
      final: (cb) => {
        this.closeStdin();
        cb();
      },
    });
    stdin.on("error", () => {});
    return {
      stdin,
      stdout,
      stderr,
      resize: (cols, rows) => this.resize(cols, rows),
      close: () => {
        sub.finish();
        if (this.subs.size === 0 && !this.o.keepWhenIdle) this.close();
      },
      done,
    };
  }

  /** Drops the connection (and with it every client's output). */
  close(): void {
    this.conn?.close();
    this.finish();
  }
}

/** Sends a window size to conmon's control fifo; a gone conmon is not an error. */
export async function resizeVia(ctl: string, cols: number, rows: number): Promise<void> {
  if (!(cols > 0 && rows > 0)) return;
  await writeCtl(ctl, `1 ${Math.floor(rows)} ${Math.floor(cols)}\n`);
}

/** Asks conmon to reopen its log file (after berthd rotated it). */
export function reopenLogVia(ctl: string): Promise<void> {
  return writeCtl(ctl, "2 0 0\n");
}

async function writeCtl(ctl: string, msg: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a fifo nobody reads fails (ENXIO) instead of waiting.
    fh = await open(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENXIO" || code === "ENOENT") return;
    throw err;
  }
  try {
    await fh.write(msg);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPIPE" && code !== "EAGAIN") throw err;
  } finally {
    await fh.close();
  }
}

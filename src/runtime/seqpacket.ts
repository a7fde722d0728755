/**
 * A SOCK_SEQPACKET unix socket on the event loop (conmon's attach socket).
 * Node's net module has no seqpacket sockets, and libuv's stream reader
 * treats a short read as "buffer drained", which on a packet socket drops
 * the packets still queued when the peer hangs up. node-unix-socket polls
 * the fd on libuv's loop (no thread-pool thread is held) and keeps packet
 * boundaries. It reads whenever data is there: callers bound what they
 * buffer (see attach.ts).
 */
import { SeqpacketSocket as NativeSocket } from "node-unix-socket";

/** Largest packet conmon reads whole (its CONN_SOCK_BUF_SIZE is 32 KiB, less 1 for seqpacket). */
export const MAX_WRITE_PACKET = 16 * 1024;

export interface PacketHandlers {
  /** One packet as the peer sent it. */
  onPacket(p: Buffer): void;
  /** The peer closed (or the socket failed): no more packets. Called once. */
  onClose(err?: Error): void;
}

/** A connected seqpacket socket; writes are packets of at most MAX_WRITE_PACKET bytes. */
export class SeqPacketConn {
  private closed = false;
  private writeShut = false;

  private constructor(
    private readonly sock: NativeSocket,
    h: PacketHandlers,
  ) {
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      this.closed = true;
      h.onClose(err);
    };
    sock.on("data", (p: Buffer) => h.onPacket(p));
    sock.on("end", () => end());
    sock.on("close", () => end());
    sock.on("error", (err: Error) => end(err));
  }

  /**
   * Connects to a listening seqpacket socket. Rejects with the native error
   * (ENOENT, ECONNREFUSED) when nobody listens there.
   */
  static connect(path: string, h: PacketHandlers): Promise<SeqPacketConn> {
    return new Promise((resolve, reject) => {
      const sock = new NativeSocket();
      const fail = (err: Error) => {
        sock.destroy();
        reject(new Error(`connect ${path}: ${err.message}`));
      };
      sock.once("error", fail);
      try {
        sock.connect(path, () => {
          sock.off("error", fail);
          resolve(new SeqPacketConn(sock, h));
        });
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends `data` as packets of at most MAX_WRITE_PACKET bytes, each handed
   * to the kernel before the next (so none can merge past conmon's buffer).
   * Resolves once all are written; a closed socket swallows the data.
   */
  async write(data: Buffer): Promise<void> {
    for (let off = 0; off < data.length && !this.closed && !this.writeShut; off += MAX_WRITE_PACKET) {
      const part = data.subarray(off, off + MAX_WRITE_PACKET);
      await new Promise<void>((resolve) => {
        try {
          this.sock.write(part, 0, part.length, () => resolve());
        } catch {
          resolve(); // destroyed under us: the peer is gone
        }
      });
    }
  }

  /** shutdown(SHUT_WR) once queued writes are out: the peer reads EOF. */
  shutdownWrite(): void {
    if (this.closed || this.writeShut) return;
    this.writeShut = true;
    this.sock.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.destroy();
  }
}

/**
 * Attaching to a process conmon supervises, over its attach socket
 * (<socketDir>/<uuid>/attach, SOCK_SEQPACKET; conmon's src/conn_sock.c and
 * src/ctr_stdio.c):
 *   conmon -> us: one packet per read of the process's output, at most
 *                 8192 bytes of data after a 1-byte stream id (2 = stdout,
 *                 3 = stderr; a TTY's output is all stdout);
 *   us -> conmon: raw bytes for the process's stdin (conmon reads up to
 *                 32 KiB a packet); shutdown(SHUT_WR) is EOF, and conmon then
 *                 closes the process's stdin unless it runs with
 *                 --leave-stdin-open.
 * Resizes go to the `ctl` fifo in conmon's bundle dir as "1 <rows> <cols>\n".
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, Writable } from "node:stream";
import { SeqPacketSocket } from "../sys/libc.js";
const STDOUT = 2;
const STDERR = 3;
const STDIO_BUF_SIZE = 8192;
const STDIN_PACKET = 32768;
export async function attachSocket(path, ctl, o) {
    const sock = await SeqPacketSocket.connect(path);
    const stdout = new PassThrough();
    const stderr = o.tty ? undefined : new PassThrough();
    let closed = false;
    const forward = async (out, data) => {
        if (out.destroyed)
            return;
        if (o.dropUnread && out.readableFlowing === null && out.readableLength >= out.readableHighWaterMark)
            return;
        if (!out.write(data)) {
            await new Promise((resolve) => {
                const done = () => {
                    out.off("drain", done);
                    out.off("close", done);
                    resolve();
                };
                out.on("drain", done);
                out.on("close", done);
            });
        }
    };
    const done = (async () => {
        try {
            for (;;) {
                const p = await sock.read(STDIO_BUF_SIZE + 1);
                if (!p)
                    break;
                const body = Buffer.from(p.subarray(1));
                if (p[0] === STDERR && stderr)
                    await forward(stderr, body);
                else if (p[0] === STDOUT || p[0] === STDERR)
                    await forward(stdout, body);
            }
        }
        catch {
            // the socket went away under us: the streams just end
        }
        stdout.end();
        stderr?.end();
    })();
    const stdin = new Writable({
        highWaterMark: STDIN_PACKET,
        write(chunk, _enc, cb) {
            if (!o.stdin || closed)
                return cb();
            (async () => {
                for (let i = 0; i < chunk.length; i += STDIN_PACKET)
                    await sock.write(chunk.subarray(i, i + STDIN_PACKET));
            })().then(() => cb(), cb);
        },
        final(cb) {
            if (o.stdin && !closed)
                sock.shutdownWrite();
            cb();
        },
    });
    stdin.on("error", () => { });
    return {
        stdin,
        stdout,
        stderr,
        resize: (cols, rows) => (ctl ? resizeVia(ctl, cols, rows) : Promise.resolve()),
        close: () => {
            closed = true;
            sock.close();
        },
        done,
    };
}
/** Sends a window size to conmon's control fifo; a gone conmon is not an error. */
export async function resizeVia(ctl, cols, rows) {
    if (!(cols > 0 && rows > 0))
        return;
    let fh;
    try {
        fh = await open(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
    }
    catch (err) {
        const code = err.code;
        if (code === "ENXIO" || code === "ENOENT")
            return;
        throw err;
    }
    try {
        await fh.write(`1 ${Math.floor(rows)} ${Math.floor(cols)}\n`);
    }
    catch (err) {
        if (err.code !== "EPIPE")
            throw err;
    }
    finally {
        await fh.close();
    }
}
//# sourceMappingURL=attach.js.map
/** Layer compression: sniff the first bytes and undo gzip (zstd via the zstd binary, if installed). */
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { createGunzip } from "node:zlib";
import { invalid } from "../util/errors.js";
export function isGzip(buf) {
    return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}
export function isZstd(buf) {
    return buf.length >= 4 && buf[0] === 0x28 && buf[1] === 0xb5 && buf[2] === 0x2f && buf[3] === 0xfd;
}
/** Reads until at least `n` bytes are buffered (or the stream ends), then puts them back. */
async function peek(input, n) {
    const chunks = [];
    let have = 0;
    while (have < n) {
        const chunk = input.read();
        if (chunk === null) {
            if (input.readableEnded)
                break;
            const ended = await new Promise((resolve, reject) => {
                const onReadable = () => done(false);
                const onEnd = () => done(true);
                const onError = (err) => {
                    cleanup();
                    reject(err);
                };
                const cleanup = () => {
                    input.off("readable", onReadable).off("end", onEnd).off("error", onError);
                };
                const done = (v) => {
                    cleanup();
                    resolve(v);
                };
                input.on("readable", onReadable).on("end", onEnd).on("error", onError);
            });
            if (ended)
                break;
            continue;
        }
        chunks.push(chunk);
        have += chunk.length;
    }
    const head = Buffer.concat(chunks);
    if (head.length)
        input.unshift(head);
    return head;
}
/** An uncompressed view of a layer or archive stream (gzip, zstd or plain tar). */
export async function decompress(input) {
    const head = await peek(input, 4);
    if (isGzip(head)) {
        const gunzip = createGunzip();
        input.on("error", (err) => gunzip.destroy(err));
        return input.pipe(gunzip);
    }
    if (isZstd(head)) {
        const child = spawn("zstd", ["-dc"], { stdio: ["pipe", "pipe", "ignore"] });
        const out = new PassThrough();
        child.on("error", () => out.destroy(invalid("zstd-compressed layer, but the zstd program is not installed")));
        child.on("exit", (code) => {
            if (code !== 0)
                out.destroy(invalid(`zstd failed to decompress the layer (exit ${code})`));
        });
        input.pipe(child.stdin);
        child.stdout.pipe(out);
        return out;
    }
    return input;
}
//# sourceMappingURL=compression.js.map
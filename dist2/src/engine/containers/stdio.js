export function frame(stream, payload) {
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
}
/** Writes to `out` framed (no TTY) or raw (TTY), respecting backpressure. */
export function streamWriter(out, tty) {
    return async (stream, data) => {
        if (data.length === 0 || out.destroyed || out.writableEnded)
            return;
        const ok = out.write(tty ? data : frame(stream, data));
        if (!ok)
            await new Promise((r) => out.once("drain", r).once("close", r));
    };
}
/** Docker's detach keys ("ctrl-p,ctrl-q" by default) as bytes. */
export function parseDetachKeys(spec) {
    const s = spec || "ctrl-p,ctrl-q";
    const out = [];
    for (const k of s.split(",")) {
        const m = /^ctrl-(.)$/.exec(k);
        if (m) {
            const c = m[1];
            const map = { "@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, _: 31 };
            out.push(c in map ? map[c] : c.toLowerCase().charCodeAt(0) - 96);
        }
        else if (k.length === 1)
            out.push(k.charCodeAt(0));
    }
    return Buffer.from(out);
}
//# sourceMappingURL=stdio.js.map
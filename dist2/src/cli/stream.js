import { humanSize } from "./format/units.js";
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;
/**
 * Incremental decoder of the multiplexed stream: push() bytes in any
 * chunking, get whole or partial frames out via the callback as they arrive
 * (a frame's payload is forwarded as soon as its bytes are there).
 */
export class StdDemuxer {
    onData;
    header = Buffer.alloc(0);
    stream = 0;
    remaining = 0;
    constructor(onData) {
        this.onData = onData;
    }
    push(chunk) {
        let off = 0;
        while (off < chunk.length) {
            if (this.remaining === 0) {
                const need = 8 - this.header.length;
                this.header = Buffer.concat([this.header, chunk.subarray(off, off + need)]);
                off += Math.min(need, chunk.length - off);
                if (this.header.length < 8)
                    return;
                this.stream = this.header[0];
                this.remaining = this.header.readUInt32BE(4);
                this.header = Buffer.alloc(0);
                continue;
            }
            const n = Math.min(this.remaining, chunk.length - off);
            this.onData(this.stream, chunk.subarray(off, off + n));
            this.remaining -= n;
            off += n;
        }
    }
    /** True when the input ended in the middle of a frame. */
    get partial() {
        return this.header.length > 0 || this.remaining > 0;
    }
}
/** Encodes one frame (for tests and for feeding stdin frames). */
export function muxFrame(stream, payload) {
    const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(p.length, 4);
    return Buffer.concat([h, p]);
}
/**
 * Copies a multiplexed (tty=false) or raw (tty=true) stream to stdout/stderr,
 * honouring backpressure; resolves at the end of the input. A SYSTEMERR frame
 * is an error from the daemon and rejects.
 */
export async function copyStdStreams(src, tty, stdout, stderr) {
    let sysErr = "";
    const write = async (w, b) => {
        if (!w.write(b))
            await new Promise((r) => w.once("drain", r));
    };
    const pending = [];
    const demux = new StdDemuxer((s, p) => pending.push([s, Buffer.from(p)]));
    for await (const chunk of src) {
        if (tty) {
            await write(stdout, chunk);
            continue;
        }
        demux.push(chunk);
        for (const [s, p] of pending.splice(0)) {
            if (s === SYSTEMERR)
                sysErr += p.toString();
            else
                await write(s === STDERR ? stderr : stdout, p);
        }
    }
    if (sysErr)
        throw new Error(sysErr.trim());
}
/** Splits a stream of concatenated JSON values (newline-separated or not). */
export async function* jsonValues(src) {
    let buf = "";
    let depth = 0;
    let inStr = false;
    let esc = false;
    let start = -1;
    let scan = 0;
    for await (const chunk of src) {
        buf += typeof chunk === "string" ? chunk : chunk.toString("utf8");
        for (; scan < buf.length; scan++) {
            const c = buf[scan];
            if (inStr) {
                if (esc)
                    esc = false;
                else if (c === "\\")
                    esc = true;
                else if (c === '"')
                    inStr = false;
                continue;
            }
            if (c === '"')
                inStr = true;
            else if (c === "{" || c === "[") {
                if (depth++ === 0)
                    start = scan;
            }
            else if ((c === "}" || c === "]") && --depth === 0) {
                yield JSON.parse(buf.slice(start, scan + 1));
                buf = buf.slice(scan + 1);
                scan = -1;
            }
        }
    }
}
/** Go's time.Duration.String for whole seconds. */
export function goDuration(seconds) {
    if (seconds === 0)
        return "0s";
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}
/** jsonmessage.JSONProgress.String: the bar, the counts and the time left. */
export function progressString(p, width, now = Date.now()) {
    const current = p.current ?? 0;
    const total = p.total ?? 0;
    if (current <= 0 && total <= 0)
        return "";
    if (total <= 0)
        return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
    const pct = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
    const bar = width > 110 ? `[${"=".repeat(pct)}>${" ".repeat(Math.max(0, 50 - pct))}] ` : "";
    let numbers = "";
    if (!p.hidecounts) {
        if (!p.units) {
            numbers =
                current > total
                    ? humanSize(current).padStart(8)
                    : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
        }
        else
            numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
    }
    let left = "";
    if (current > 0 && p.start && p.start > 0 && pct < 50 && width > 50) {
        const per = (now / 1000 - p.start) / current;
        left = ` ${goDuration(Math.trunc((total - current) * per))}`;
    }
    return bar + numbers + left;
}
/**
 * jsonmessage.DisplayJSONMessagesStream: prints messages, redrawing one line
 * per layer id on a terminal. Calls onAux for aux messages; throws on an error
 * message (its text is what docker prints).
 */
export async function displayJSONMessages(src, out, isTerminal, onAux) {
    let ids = new Map();
    const width = isTerminal ? (out.columns ?? 80) : 200;
    for await (const jm of jsonValues(src)) {
        if (jm.aux) {
            onAux?.(jm.aux);
            continue;
        }
        let diff = 0;
        const hasProgress = jm.progressDetail !== undefined || !!jm.progress;
        if (jm.id && hasProgress) {
            let line = ids.get(jm.id);
            if (line === undefined) {
                line = ids.size;
                ids.set(jm.id, line);
                if (isTerminal)
                    out.write("\n");
            }
            diff = ids.size - line;
            if (isTerminal && diff > 0)
                out.write(`\x1b[${diff}A`);
        }
        else {
            ids = new Map();
        }
        if (jm.error || jm.errorDetail)
            throw new Error(jm.errorDetail?.message || jm.error);
        display(jm, out, isTerminal, width);
        if (jm.id && isTerminal && diff > 0)
            out.write(`\x1b[${diff}B`);
    }
}
function display(jm, out, isTerminal, width) {
    let endl = "";
    const prog = jm.progressDetail ? progressString(jm.progressDetail, width) : "";
    if (isTerminal && !jm.stream && jm.progressDetail) {
        out.write("\x1b[2K\r");
        endl = "\r";
    }
    else if (jm.progressDetail && prog !== "") {
        return; // no progress bars off a terminal
    }
    let s = "";
    if (jm.id)
        s += `${jm.id}: `;
    if (jm.from)
        s += `(from ${jm.from}) `;
    if (jm.progressDetail && isTerminal)
        s += `${jm.status ?? ""} ${prog}${endl}`;
    else if (jm.progress)
        s += `${jm.status ?? ""} ${jm.progress}${endl}`;
    else if (jm.stream)
        s += `${jm.stream}${endl}`;
    else
        s += `${jm.status ?? ""}${endl}\n`;
    out.write(s);
}
//# sourceMappingURL=stream.js.map
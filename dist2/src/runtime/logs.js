/**
 * Reading a container's log. conmon writes the CRI "k8s-file" format, one
 * record per line: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`, where P
 * marks a partial line continued by the stream's next record. readLogs gives
 * whole lines with Docker's json-file semantics: stream selection, since and
 * until, tail (found by reading backwards, so a large log is not read
 * whole), and follow until aborted or the container is gone and the file
 * drained.
 */
import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
const CHUNK = 64 * 1024;
export function parseRecord(line) {
    const s1 = line.indexOf(32);
    const s2 = s1 < 0 ? -1 : line.indexOf(32, s1 + 1);
    if (s2 < 0)
        return undefined;
    const s3 = line.indexOf(32, s2 + 1);
    const stream = line.subarray(s1 + 1, s2).toString();
    if (stream !== "stdout" && stream !== "stderr")
        return undefined;
    const flag = (s3 < 0 ? line.subarray(s2 + 1) : line.subarray(s2 + 1, s3)).toString();
    return {
        time: toDockerTime(line.subarray(0, s1).toString()),
        stream,
        partial: flag === "P",
        text: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
    };
}
/** conmon writes a "+00:00" offset; Docker prints "Z". */
function toDockerTime(t) {
    return t.replace(/\+00:00$/, "Z");
}
/** Millisecond precision is enough for since/until. */
const timeOf = (t) => Date.parse(t);
/** Joins partial records into whole lines, per stream. */
class Assembler {
    pending = {};
    push(r) {
        const p = this.pending[r.stream];
        if (r.partial) {
            if (p)
                p.parts.push(Buffer.from(r.text));
            else
                this.pending[r.stream] = { time: r.time, parts: [Buffer.from(r.text)] };
            return undefined;
        }
        delete this.pending[r.stream];
        const parts = p ? [...p.parts, r.text] : [r.text];
        return { stream: r.stream, time: p?.time ?? r.time, line: Buffer.concat([...parts, Buffer.from("\n")]) };
    }
    /** What is left once the writer is gone: output that never got its newline. */
    flush() {
        const out = [];
        for (const s of ["stdout", "stderr"]) {
            const p = this.pending[s];
            if (p)
                out.push({ stream: s, time: p.time, line: Buffer.concat(p.parts) });
        }
        this.pending = {};
        return out;
    }
}
/**
 * Where reading must start for the last `tail` lines: walks the file backwards
 * counting complete records of the wanted streams. For each stream it also
 * finds the end of the line before its window, so a line split into P
 * records is never picked up in the middle.
 */
async function tailStart(fh, size, tail, wantStream, until) {
    const streams = ["stdout", "stderr"].filter(wantStream);
    const from = {};
    let count = 0;
    let pos = size;
    let carry = Buffer.alloc(0); // the (incomplete) first line of the chunk read last
    while (pos > 0) {
        const start = Math.max(0, pos - CHUNK);
        const buf = Buffer.alloc(pos - start);
        await fh.read(buf, 0, buf.length, start);
        const data = Buffer.concat([buf, carry]);
        // Buffer.lastIndexOf reads a negative offset from the end: never pass one.
        const prevNl = (i) => (i < 0 ? -1 : data.lastIndexOf(10, i));
        let end = data.length;
        // A last line without its newline (being written) is left to the forward reader.
        if (pos === size && data[end - 1] !== 10)
            end = prevNl(end - 1) + 1;
        while (end > 0) {
            const nl = prevNl(end - 2);
            if (nl < 0 && start > 0)
                break; // the first line may continue in the previous chunk
            const lineStart = nl + 1;
            const rec = parseRecord(data.subarray(lineStart, end - 1));
            if (rec && !rec.partial && wantStream(rec.stream)) {
                if (count >= tail) {
                    from[rec.stream] ??= start + end;
                    if (streams.every((s) => from[s] !== undefined)) {
                        const offsets = streams.map((s) => from[s]);
                        return { offset: Math.min(...offsets), from: { stdout: 0, stderr: 0, ...from } };
                    }
                }
                else if (!until || timeOf(rec.time) < until.getTime())
                    count++;
            }
            end = lineStart;
        }
        carry = Buffer.from(data.subarray(0, end));
        pos = start;
    }
    return { offset: 0, from: { stdout: 0, stderr: 0 } };
}
export async function* readLogs(path, o) {
    let fh;
    try {
        fh = await open(path, "r");
    }
    catch {
        return;
    }
    const wantStream = (s) => (s === "stdout" ? o.stdout : o.stderr);
    const wanted = (e) => wantStream(e.stream) &&
        (!o.since || timeOf(e.time) >= o.since.getTime()) &&
        (!o.until || timeOf(e.time) < o.until.getTime());
    try {
        const size = (await fh.stat()).size;
        let pos = 0;
        let from = { stdout: 0, stderr: 0 };
        if (o.tail !== undefined && o.tail >= 0) {
            if (o.tail === 0)
                pos = size;
            else
                ({ offset: pos, from } = await tailStart(fh, size, o.tail, wantStream, o.until));
        }
        const asm = new Assembler();
        let rest = Buffer.alloc(0);
        let restAt = pos; // file offset of rest[0]
        let lastRead = 0;
        const readChunk = async () => {
            const buf = Buffer.alloc(CHUNK);
            const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
            lastRead = bytesRead;
            if (bytesRead === 0)
                return [];
            pos += bytesRead;
            const data = Buffer.concat([rest, buf.subarray(0, bytesRead)]);
            const out = [];
            let start = 0;
            for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
                const at = restAt + start;
                const rec = parseRecord(data.subarray(start, nl));
                start = nl + 1;
                if (!rec || at < from[rec.stream])
                    continue;
                const e = asm.push(rec);
                if (e)
                    out.push(e);
            }
            rest = Buffer.from(data.subarray(start));
            restAt += start;
            return out;
        };
        // What is there now (tail keeps the last N wanted lines of it).
        const backlog = [];
        for (;;) {
            const batch = await readChunk();
            for (const e of batch) {
                if (!wanted(e))
                    continue;
                backlog.push(e);
                if (o.tail !== undefined && backlog.length > o.tail)
                    backlog.shift();
            }
            if (lastRead === 0 || (batch.length === 0 && pos >= size))
                break;
        }
        if (!o.follow) {
            for (const e of asm.flush())
                if (wanted(e))
                    backlog.push(e);
            if (o.tail !== undefined)
                backlog.splice(0, Math.max(0, backlog.length - o.tail));
        }
        for (const e of backlog)
            yield e;
        if (!o.follow)
            return;
        // Follow: poll for growth until aborted, past `until`, or the writer is gone and the file drained.
        const pollMs = o.pollMs ?? 100;
        let idle = 0;
        while (!o.signal?.aborted) {
            if (o.until && Date.now() >= o.until.getTime())
                break;
            const batch = await readChunk();
            for (const e of batch)
                if (wanted(e))
                    yield e;
            if (batch.length > 0) {
                idle = 0;
                continue;
            }
            const grown = (await fh.stat()).size > pos;
            if (!grown && o.isRunning && !o.isRunning()) {
                // conmon drains output after the process exits: give it a moment.
                if (++idle > 2)
                    break;
            }
            if (!grown)
                await sleep(pollMs, undefined, { signal: o.signal }).catch(() => { });
        }
        for (const e of asm.flush())
            if (wanted(e))
                yield e;
    }
    finally {
        await fh.close();
    }
}
//# sourceMappingURL=logs.js.map
/**
 * Reading a container's log. conmon writes the CRI "k8s-file" format, one
 * record per line: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`, where P
 * marks a partial line continued by the next record. The API returns
 * Docker's json-file semantics from it: stream split, timestamps, tail,
 * since/until, follow.
 */
import { open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export interface LogEntry {
  stream: "stdout" | "stderr";
  /** RFC3339Nano, as Docker prints with --timestamps. */
  time: string;
  line: Buffer;
}

export interface ReadLogOptions {
  stdout: boolean;
  stderr: boolean;
  since?: Date;
  until?: Date;
  tail?: number;
  follow?: boolean;
  isRunning?: () => boolean;
  signal?: AbortSignal;
}

interface Record_ {
  time: string;
  stream: "stdout" | "stderr";
  partial: boolean;
  text: Buffer;
}

function parseRecord(line: Buffer): Record_ | undefined {
  const s1 = line.indexOf(32);
  const s2 = line.indexOf(32, s1 + 1);
  const s3 = line.indexOf(32, s2 + 1);
  if (s1 < 0 || s2 < 0) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString();
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const flag = s3 < 0 ? line.subarray(s2 + 1).toString() : line.subarray(s2 + 1, s3).toString();
  return {
    time: toDockerTime(line.subarray(0, s1).toString()),
    stream,
    partial: flag === "P",
    text: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
  };
}

/** conmon writes "+00:00"; Docker prints "Z". */
function toDockerTime(t: string): string {
  return t.replace(/\+00:00$/, "Z");
}

function timeOf(t: string): number {
  // Millisecond precision is enough for since/until filtering.
  return Date.parse(t);
}

/** Joins partial records into whole lines, per stream. */
class Assembler {
  private pending: Partial<Record<"stdout" | "stderr", { time: string; parts: Buffer[] }>> = {};

  push(r: Record_): LogEntry | undefined {
    const p = this.pending[r.stream];
    if (r.partial) {
      if (p) p.parts.push(r.text);
      else this.pending[r.stream] = { time: r.time, parts: [r.text] };
      return undefined;
    }
    const parts = p ? [...p.parts, r.text] : [r.text];
    const time = p?.time ?? r.time;
    delete this.pending[r.stream];
    return { stream: r.stream, time, line: Buffer.concat([...parts, Buffer.from("\n")]) };
  }

  /** What is left when the writer is gone: partial output without a newline. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const s of ["stdout", "stderr"] as const) {
      const p = this.pending[s];
      if (p) out.push({ stream: s, time: p.time, line: Buffer.concat(p.parts) });
    }
    this.pending = {};
    return out;
  }
}

export async function* readLogs(path: string, o: ReadLogOptions): AsyncGenerator<LogEntry> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch {
    return;
  }
  const wanted = (e: LogEntry) =>
    ((e.stream === "stdout" && o.stdout) || (e.stream === "stderr" && o.stderr)) &&
    (!o.since || timeOf(e.time) >= o.since.getTime()) &&
    (!o.until || timeOf(e.time) < o.until.getTime());
  try {
    const asm = new Assembler();
    let pos = 0;
    let rest = Buffer.alloc(0);
    const readChunk = async (): Promise<LogEntry[]> => {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return [];
      pos += bytesRead;
      const data = Buffer.concat([rest, buf.subarray(0, bytesRead)]);
      const out: LogEntry[] = [];
      let start = 0;
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
        const rec = parseRecord(data.subarray(start, nl));
        start = nl + 1;
        if (!rec) continue;
        const e = asm.push(rec);
        if (e) out.push(e);
      }
      rest = Buffer.from(data.subarray(start));
      return out;
    };
    // Whole file first (tail keeps the last N wanted lines).
    const backlog: LogEntry[] = [];
    for (;;) {
      const batch = await readChunk();
      if (batch.length === 0 && (await fh.stat()).size <= pos) break;
      for (const e of batch) {
        if (!wanted(e)) continue;
        backlog.push(e);
        if (o.tail !== undefined && backlog.length > o.tail) backlog.shift();
      }
    }
    if (!o.follow) {
      // A last line without its newline (the writer is done) is still output.
      for (const e of asm.flush()) if (wanted(e)) backlog.push(e);
      if (o.tail !== undefined) backlog.splice(0, Math.max(0, backlog.length - o.tail));
    }
    if (o.tail === 0) backlog.length = 0;
    for (const e of backlog) yield e;
    if (!o.follow) return;
    // Follow: poll for growth until the container stops and the file is drained.
    let idle = 0;
    while (!o.signal?.aborted) {
      const batch = await readChunk();
      for (const e of batch) if (wanted(e)) yield e;
      if (batch.length === 0) {
        const size = (await stat(path).catch(() => ({ size: pos }))).size;
        if (size <= pos && o.isRunning && !o.isRunning()) {
          if (++idle > 2) break;
        }
        await sleep(50, undefined, { signal: o.signal }).catch(() => {});
      } else idle = 0;
      if (o.until && Date.now() >= o.until.getTime()) break;
    }
    for (const e of asm.flush()) if (wanted(e)) yield e;
  } finally {
    await fh.close();
  }
}

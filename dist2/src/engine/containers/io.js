import { readLogs } from "../../runtime/logs.js";
import { conflict } from "../../util/errors.js";
import { containerPaths } from "./files.js";
import { parseDetachKeys, streamWriter } from "./stdio.js";
export function parseTime(v) {
    if (!v)
        return undefined;
    if (/^\d+(\.\d+)?$/.test(v))
        return new Date(Number(v) * 1000);
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t);
}
export async function streamLogs(d, rec, out, o, signal) {
    const write = streamWriter(out, rec.config.Tty ?? false);
    const running = () => {
        const cur = d.store.tryResolve(rec.id);
        return (!!cur &&
            (cur.state.Status === "running" || cur.state.Status === "paused" || cur.state.Status === "restarting"));
    };
    const entries = readLogs(containerPaths(d.store.containerDir(rec.id)).log, {
        stdout: o.stdout,
        stderr: o.stderr,
        since: o.since,
        until: o.until,
        tail: o.tail,
        follow: o.follow && running(),
        isRunning: running,
        signal,
    });
    for await (const e of entries) {
        const line = o.timestamps ? Buffer.concat([Buffer.from(`${e.time} `), e.line]) : e.line;
        await write(e.stream === "stderr" ? 2 : 1, line);
    }
}
/**
 * Pipes a client connection to the container's stdio until the container's
 * output ends, the client goes away, or the client types the detach keys.
 */
export async function attachStreams(life, runtimeAttach, rec, conn, o) {
    const tty = rec.config.Tty ?? false;
    let streams;
    if (rec.state.Status === "running")
        streams = await runtimeAttach(rec);
    else if (rec.state.Status === "created" ||
        rec.state.Status === "restarting" ||
        rec.state.Status === "exited")
        streams = await life.attachWhenStarted(rec.id);
    else
        throw conflict(`You cannot attach to a ${rec.state.Status} container`);
    const write = streamWriter(conn, tty);
    const pumps = [];
    const pump = async (src, n, enabled) => {
        if (!src)
            return;
        for await (const chunk of src)
            if (enabled)
                await write(n, chunk);
    };
    pumps.push(pump(streams.stdout, 1, o.stdout));
    pumps.push(pump(streams.stderr, 2, o.stderr));
    let detached = false;
    if (o.stdin && rec.config.OpenStdin) {
        const keys = parseDetachKeys(o.detachKeys);
        let matched = 0;
        conn.on("data", (chunk) => {
            // Watch for the detach sequence; bytes of a partial match are held back.
            let start = 0;
            for (let i = 0; i < chunk.length; i++) {
                if (keys.length && chunk[i] === keys[matched]) {
                    matched++;
                    if (matched === keys.length) {
                        detached = true;
                        streams.stdin.write(chunk.subarray(start, Math.max(i + 1 - keys.length, start)));
                        streams.close();
                        conn.end();
                        return;
                    }
                }
                else
                    matched = 0;
            }
            if (start < chunk.length)
                streams.stdin.write(chunk.subarray(start));
            start = chunk.length;
        });
        conn.on("end", () => {
            if (!detached && rec.config.StdinOnce)
                streams.stdin.end();
        });
    }
    conn.on("close", () => streams.close());
    conn.resume(); // hijack() handed it over paused, holding what the client sent early
    await Promise.allSettled(pumps);
    if (!conn.destroyed)
        conn.end();
}
//# sourceMappingURL=io.js.map
/**
 * Container I/O: logs (from conmon's log file) and attach (conmon's attach
 * socket), written to any Duplex/Writable in Docker's framing. No HTTP here.
 */
import type { Duplex, Readable, Writable } from "node:stream";
import { readLogs } from "../../runtime/logs.js";
import { conflict, notImplemented } from "../../util/errors.js";
import { containerPaths } from "./files.js";
import type { Lifecycle } from "./lifecycle.js";
import { detailsPrefix, logAttributes } from "./logconfig.js";
import type { AttachStreams } from "./runtime-port.js";
import type { ContainerDeps } from "./service.js";
import { forwardStdin, parseDetachKeys, streamWriter } from "./stdio.js";
import type { ContainerRecord } from "./types.js";

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  /** Prefix each line with its log attributes (`docker logs --details`). */
  details?: boolean;
  tail?: number;
  since?: Date;
  until?: Date;
}

export function parseTime(v: string | null): Date | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return new Date(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

export async function streamLogs(
  d: ContainerDeps,
  rec: ContainerRecord,
  out: Writable,
  o: LogOptions,
  signal: AbortSignal,
  raw = false,
): Promise<void> {
  if (rec.hostConfig.LogConfig?.Type === "none")
    throw notImplemented("configured logging driver does not support reading");
  const write = streamWriter(out, raw || (rec.config.Tty ?? false));
  const running = () => {
    const cur = d.store.tryResolve(rec.id);
    return (
      !!cur &&
      (cur.state.Status === "running" || cur.state.Status === "paused" || cur.state.Status === "restarting")
    );
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
  const details = o.details
    ? Buffer.from(detailsPrefix(logAttributes(rec.hostConfig.LogConfig, rec.config.Labels, rec.config.Env)))
    : undefined;
  for await (const e of entries) {
    let line = details ? Buffer.concat([details, e.line]) : e.line;
    if (o.timestamps) line = Buffer.concat([Buffer.from(`${e.time} `), line]);
    await write(e.stream === "stderr" ? 2 : 1, line);
  }
}

/**
 * Pipes a client connection to the container's stdio until the container's
 * output ends, the client goes away, or the client types the detach keys.
 * Stdin follows Docker's attach rules (moby container/stream/attach.go):
 * when the client's stdin ends, a StdinOnce container without a TTY gets
 * EOF on its stdin; with a TTY the client is detached instead. Detach keys
 * apply with a TTY only.
 */
export async function attachStreams(
  life: Lifecycle,
  runtimeAttach: (rec: ContainerRecord) => Promise<AttachStreams>,
  rec: ContainerRecord,
  conn: Duplex,
  o: { stdin: boolean; stdout: boolean; stderr: boolean; detachKeys?: string | null; raw?: boolean },
): Promise<void> {
  const tty = rec.config.Tty ?? false;
  let streams: AttachStreams;
  if (rec.state.Status === "running") streams = await runtimeAttach(rec);
  else if (
    rec.state.Status === "created" ||
    rec.state.Status === "restarting" ||
    rec.state.Status === "exited"
  )
    streams = await life.attachWhenStarted(rec.id);
  else throw conflict(`You cannot attach to a ${rec.state.Status} container`);

  conn.on("error", () => streams.close());
  const write = streamWriter(conn, tty || (o.raw ?? false));
  const pump = async (src: Readable | undefined, n: 1 | 2, enabled: boolean) => {
    if (!src) return;
    for await (const chunk of src as AsyncIterable<Buffer>) if (enabled) await write(n, chunk);
  };
  const pumps = [pump(streams.stdout, 1, o.stdout), pump(streams.stderr, 2, o.stderr)];

  if (o.stdin && rec.config.OpenStdin) {
    forwardStdin(conn, streams.stdin, {
      detachKeys: tty ? parseDetachKeys(o.detachKeys) : Buffer.alloc(0),
      onDetach: () => streams.close(),
      onEnd: () => {
        if (!tty && rec.config.StdinOnce) streams.stdin.end();
        else if (tty) streams.close();
      },
    });
  } else conn.on("data", () => {}); // output only: the client's half-close means nothing
  conn.on("close", () => streams.close());
  conn.resume(); // hijack() handed it over paused, holding what the client sent early
  await Promise.allSettled(pumps);
  if (!conn.destroyed) conn.end();
}

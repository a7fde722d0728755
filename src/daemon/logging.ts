/**
 * berthd's logger: pino, as JSON lines or human-readable text
 * (`--log-format`, daemon.json "log-format"; text by default when the
 * destination is a terminal), to stderr or to `--log-file` (appended).
 * pino-pretty runs in-process and synchronously (no worker thread), so the
 * last lines before an exit are never lost.
 */
import { isatty } from "node:tty";
import { type DestinationStream, type Logger, pino } from "pino";
import { PinoPretty } from "pino-pretty";

/** Logger settings; `format` undefined means "text on a terminal, else json". */
export interface LogOptions {
  level: string;
  format?: "text" | "json";
  /** Path of a log file (created, appended to); stderr when undefined. */
  file?: string;
}

/** Checks a --log-format value; throws Error naming the accepted ones. */
export function parseLogFormat(v: string | undefined): "text" | "json" | undefined {
  if (v === undefined || v === "") return undefined;
  if (v === "text" || v === "json") return v;
  throw new Error(`invalid log format ${JSON.stringify(v)}: use text or json`);
}

/** Builds the daemon's logger per `o`. */
export function createLogger(o: LogOptions): Logger {
  const dest = o.file
    ? pino.destination({ dest: o.file, append: true, mkdir: true, sync: true })
    : pino.destination({ fd: 2, sync: true });
  const toTerminal = !o.file && isatty(2);
  const format = o.format ?? (toTerminal ? "text" : "json");
  const stream: DestinationStream =
    format === "text"
      ? PinoPretty({
          destination: dest,
          sync: true,
          colorize: toTerminal,
          translateTime: "SYS:yyyy-mm-dd'T'HH:MM:ss.l",
          ignore: "hostname",
        })
      : dest;
  return pino({ level: o.level, base: { pid: process.pid } }, stream);
}

/**
 * Logging drivers, as `docker run --log-driver/--log-opt` and daemon.json
 * `log-driver`/`log-opts` set them (Docker's "Configure logging drivers"
 * reference). conmon writes every file-backed driver's log (so logs keep
 * flowing while berthd is down) in the CRI k8s-file format, which carries
 * what Docker's json-file does (stream, RFC3339Nano time, partial flag);
 * the drivers differ in their limits:
 *   json-file  no limit unless max-size; max-file files kept (default 1)
 *   local      max-size 20m, max-file 5 by default (Docker's local driver)
 *   k8s-file   podman's name for the same file; max-size only
 *   none       nothing kept; reading is refused
 * Any other driver is refused at create with a message naming it.
 */
import { invalid } from "../../util/errors.js";

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** What the runtime needs: where output goes and how the file rotates. */
export interface LogLimits {
  /** False for the none driver: conmon keeps nothing. */
  file: boolean;
  /** Bytes a log file may reach before it rotates; undefined: unbounded. */
  maxSize?: number;
  /** Files kept, the live one included (>= 1). */
  maxFiles: number;
}

const OPTIONS: Record<string, string[]> = {
  "json-file": ["max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex", "tag"],
  local: ["max-size", "max-file", "compress"],
  "k8s-file": ["max-size"],
  none: [],
};

/** Drivers Docker ships that berth does not: named in the error rather than "unknown". */
const DOCKER_ONLY = [
  "syslog",
  "journald",
  "gelf",
  "fluentd",
  "awslogs",
  "splunk",
  "etwlogs",
  "gcplogs",
  "logentries",
];

/**
 * The container's effective log config: the request's, or the daemon's
 * default driver with its options (merged as Docker's
 * mergeAndVerifyLogConfig does). Throws InvalidParameter for an unknown
 * driver or option, or a bad value.
 */
export function resolveLogConfig(req: Partial<LogConfig> | undefined, dflt: LogConfig): LogConfig {
  const type = req?.Type || dflt.Type;
  const config: Record<string, string> = { ...(req?.Config ?? {}) };
  if (type === dflt.Type) for (const [k, v] of Object.entries(dflt.Config)) config[k] ??= v;
  validateLogConfig({ Type: type, Config: config });
  return { Type: type, Config: config };
}

/** Checks a driver and its options; throws InvalidParameter with Docker's wording where Docker has one. */
export function validateLogConfig(c: LogConfig): void {
  const allowed = OPTIONS[c.Type];
  if (!allowed) {
    if (DOCKER_ONLY.includes(c.Type))
      throw invalid(
        `logging driver "${c.Type}" is not supported by berth: use json-file, local, k8s-file or none`,
      );
    throw invalid(`logger: no log driver named '${c.Type}' is registered`);
  }
  for (const [k, v] of Object.entries(c.Config)) {
    if (typeof v !== "string") throw invalid(`log opt '${k}' must be a string`);
    if (!allowed.includes(k)) throw invalid(`unknown log opt '${k}' for ${c.Type} log driver`);
  }
  logLimits(c);
}

/** The limits a (validated) config asks for. Throws InvalidParameter on a bad size, count or flag. */
export function logLimits(c: LogConfig): LogLimits {
  if (c.Type === "none") return { file: false, maxFiles: 1 };
  const o = c.Config;
  const local = c.Type === "local";
  const maxSize =
    o["max-size"] !== undefined ? parseSize(o["max-size"]) : local ? 20 * 1024 * 1024 : undefined;
  let maxFiles = local ? 5 : 1;
  if (o["max-file"] !== undefined) {
    maxFiles = Number(o["max-file"]);
    if (!Number.isInteger(maxFiles)) throw invalid(`invalid value for max-file: ${o["max-file"]}`);
    if (maxFiles < 1) throw invalid("max-file cannot be less than 1");
    if (maxSize === undefined && maxFiles > 1)
      throw invalid("max-file can only be set together with max-size");
  }
  const compress = o.compress;
  if (compress !== undefined && !["true", "false", "1", "0"].includes(compress))
    throw invalid(`invalid value for compress: ${compress}`);
  if (compress === "true" || compress === "1")
    throw invalid("compress=true is not supported by berth: rotated log files are kept uncompressed");
  return { file: true, maxSize: maxSize === -1 ? undefined : maxSize, maxFiles };
}

/** go-units RAMInBytes: "100k", "10m", "1g", "512" (binary multiples); -1 means no limit. */
function parseSize(s: string): number {
  const m = /^(-1|\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(s.trim());
  if (!m) throw invalid(`invalid value for max-size: ${s}`);
  if (m[1] === "-1") return -1;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[
    m[2]!.toLowerCase() as "" | "k"
  ];
  const n = Math.floor(Number(m[1]) * mult);
  if (n <= 0) throw invalid(`invalid value for max-size: ${s}`);
  return n;
}

/**
 * The attributes `docker logs --details` shows before each line: the
 * container labels and env variables the `labels`, `labels-regex`, `env` and
 * `env-regex` log options name (moby logger.Info.ExtraAttributes).
 */
export function logAttributes(
  c: LogConfig | undefined,
  labels: Record<string, string> | null | undefined,
  env: string[] | null | undefined,
): Record<string, string> {
  const o = c?.Config ?? {};
  const out: Record<string, string> = {};
  const lbl = labels ?? {};
  const envMap: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf("=");
    if (i > 0) envMap[e.slice(0, i)] = e.slice(i + 1);
  }
  const pick = (names: string | undefined, from: Record<string, string>) => {
    for (const n of names ? names.split(",") : []) if (Object.hasOwn(from, n)) out[n] = from[n]!;
  };
  const match = (re: string | undefined, from: Record<string, string>) => {
    if (!re) return;
    const r = new RegExp(re);
    for (const [k, v] of Object.entries(from)) if (r.test(k)) out[k] = v;
  };
  pick(o.labels, lbl);
  match(o["labels-regex"], lbl);
  pick(o.env, envMap);
  match(o["env-regex"], envMap);
  return out;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/**
 * The `--details` prefix of a log line: `k=v` pairs sorted by key, query-escaped,
 * joined by commas, then one space (moby api/server/httputils attrsByteSlice;
 * a line with no attributes still gets the space).
 */
export function detailsPrefix(attrs: Record<string, string>): string {
  const keys = Object.keys(attrs).sort();
  return `${keys.map((k) => `${queryEscape(k)}=${queryEscape(attrs[k]!)}`).join(",")} `;
}

/** Parsers for docker's size, duration and time flag values. */
import { CliError } from "../client.js";
const SIZE_RE = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const MULT = { k: 1, m: 2, g: 3, t: 4, p: 5 };
function parseSize(s, base) {
    const m = SIZE_RE.exec(s);
    if (!m)
        throw new CliError(`invalid size: '${s}'`);
    const n = Number.parseFloat(m[1]);
    const exp = m[2] ? MULT[m[2].toLowerCase()] : 0;
    return Math.trunc(n * base ** exp);
}
/** go-units RAMInBytes: "32m", "1.5g", "512k", "1024" (binary multiples). */
export function ramInBytes(s) {
    return parseSize(s, 1024);
}
/** go-units FromHumanSize: decimal multiples ("1.5GB" is 1.5e9). */
export function fromHumanSize(s) {
    return parseSize(s, 1000);
}
/** --memory-swap: a size, or -1 for unlimited. */
export function memSwapBytes(s) {
    return s === "-1" ? -1 : ramInBytes(s);
}
const DUR_UNITS = {
    ns: 1,
    us: 1e3,
    µs: 1e3,
    μs: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
};
/** Go's time.ParseDuration, in nanoseconds: "1h30m", "1.5s", "300ms", "0". */
export function parseDuration(s) {
    const orig = s;
    let neg = false;
    if (s[0] === "-" || s[0] === "+") {
        neg = s[0] === "-";
        s = s.slice(1);
    }
    if (s === "0")
        return 0;
    if (s === "")
        throw new CliError(`time: invalid duration "${orig}"`);
    let total = 0;
    const re = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
    while (s) {
        const m = re.exec(s);
        if (!m || m[1] === "" || m[1] === ".") {
            if (m && /^\d/.test(s) === false)
                throw new CliError(`time: invalid duration "${orig}"`);
            const u = /^\d*(?:\.\d*)?(.*)$/.exec(s)?.[1] ?? "";
            throw new CliError(u ? `time: unknown unit "${u}" in duration "${orig}"` : `time: missing unit in duration "${orig}"`);
        }
        total += Number.parseFloat(m[1]) * DUR_UNITS[m[2]];
        s = s.slice(m[0].length);
    }
    return Math.round(neg ? -total : total);
}
/**
 * docker's GetTimestamp for --since/--until: a Go duration relative to now,
 * a unix timestamp (kept as is), or an RFC 3339 date/time (local time when
 * no zone is given). Returns "seconds[.nanoseconds]" as the API takes it.
 */
export function getTimestamp(value, now = Date.now()) {
    if (/^\d+(\.\d+)?$/.test(value))
        return value;
    if (/^[-+]?(\d*\.?\d+(ns|us|µs|ms|s|m|h))+$/.test(value)) {
        const t = now * 1e6 - parseDuration(value);
        return fmtNanos(t);
    }
    let v = value;
    if (/^\d{4}-\d{2}-\d{2}$/.test(v))
        v = `${v}T00:00:00`;
    const ms = Date.parse(v);
    if (Number.isNaN(ms))
        throw new CliError(`invalid value for "since": "${value}" is not a valid time`);
    const frac = /\.(\d+)/.exec(v)?.[1] ?? "";
    return `${Math.floor(ms / 1000)}.${(frac + "000000000").slice(0, 9)}`;
}
function fmtNanos(ns) {
    const sec = Math.floor(ns / 1e9);
    const rest = Math.round(ns - sec * 1e9);
    return `${sec}.${String(rest).padStart(9, "0")}`;
}
//# sourceMappingURL=units.js.map
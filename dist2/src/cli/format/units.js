/**
 * Human-readable sizes and durations, matching docker's go-units output
 * byte for byte (the acceptance suite and scripts compare these strings).
 */
const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
/** Go's fmt `%.<prec>g`: shortest of %e/%f per Go's rule, trailing zeros removed. */
export function formatG(x, prec) {
    if (!Number.isFinite(x))
        return x > 0 ? "+Inf" : x < 0 ? "-Inf" : "NaN";
    if (x === 0)
        return "0";
    const p = Math.max(prec, 1);
    const exp = Number(x.toExponential(p - 1).split("e")[1]);
    if (exp < -4 || exp >= p) {
        const [mant, e] = x.toExponential(p - 1).split("e");
        const m = stripZeros(mant);
        const n = Number(e);
        const abs = Math.abs(n);
        return `${m}e${n < 0 ? "-" : "+"}${abs < 10 ? `0${abs}` : abs}`;
    }
    return stripZeros(x.toFixed(Math.max(0, p - 1 - exp)));
}
function stripZeros(s) {
    return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
function custom(size, prec, base, units) {
    let i = 0;
    while (size >= base && i < units.length - 1) {
        size /= base;
        i++;
    }
    return `${formatG(size, prec)}${units[i]}`;
}
/** go-units HumanSizeWithPrecision: decimal (1000-based) units. */
export function humanSizeWithPrecision(size, precision) {
    return custom(size, precision, 1000, DECIMAL);
}
/** go-units HumanSize (4 significant digits). */
export function humanSize(size) {
    return humanSizeWithPrecision(size, 4);
}
/** go-units BytesSize: binary (1024-based) units, 4 significant digits. */
export function bytesSize(size) {
    return custom(size, 4, 1024, BINARY);
}
/** go-units HumanDuration, from milliseconds. */
export function humanDuration(ms) {
    const seconds = Math.trunc(ms / 1000);
    if (seconds < 1)
        return "Less than a second";
    if (seconds === 1)
        return "1 second";
    if (seconds < 60)
        return `${seconds} seconds`;
    const minutes = Math.trunc(ms / 60000);
    if (minutes === 1)
        return "About a minute";
    if (minutes < 60)
        return `${minutes} minutes`;
    const hours = Math.trunc(ms / 3600000 + 0.5);
    if (hours === 1)
        return "About an hour";
    if (hours < 48)
        return `${hours} hours`;
    if (hours < 24 * 7 * 2)
        return `${Math.trunc(hours / 24)} days`;
    if (hours < 24 * 30 * 2)
        return `${Math.trunc(hours / 24 / 7)} weeks`;
    if (hours < 24 * 365 * 2)
        return `${Math.trunc(hours / 24 / 30)} months`;
    return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}
/** "2 minutes ago" for a unix time in seconds (or an RFC 3339 string). */
export function timeAgo(t, now = Date.now()) {
    const ms = typeof t === "number" ? t * 1000 : Date.parse(t);
    if (!Number.isFinite(ms))
        return "";
    return `${humanDuration(now - ms)} ago`;
}
/** Docker's short id: the first 12 hex digits, without a "sha256:" prefix. */
export function shortId(id) {
    const i = id.indexOf(":");
    return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}
/** Truncates to n characters with an ellipsis, as docker's TruncateID/Ellipsis. */
export function ellipsis(s, n) {
    const chars = [...s];
    if (chars.length <= n)
        return s;
    if (n < 3)
        return chars.slice(0, n).join("");
    return `${chars.slice(0, n - 1).join("")}…`;
}
//# sourceMappingURL=units.js.map
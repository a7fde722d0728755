/** Small flag parsers: env and label lists/files, ulimits, devices, throttles, restart, cpus. */
import { readFileSync } from "node:fs";
import { CliError } from "../client.js";
import { ramInBytes } from "./units.js";
/** Collects a repeated flag's values (commander's argParser). */
export const collect = (v, prev = []) => [...prev, v];
/** -e: "K=V" as is; a bare "K" takes the value from our environment when set. */
export function parseEnv(v, env = process.env) {
    if (v.includes("=")) {
        if (v.startsWith("="))
            throw new CliError(`invalid environment variable: ${v}`);
        return v;
    }
    const val = env[v];
    return val === undefined ? v : `${v}=${val}`;
}
/** docker's parseKeyValueFile: comments and blank lines skipped; bare names pass through when set in our environment (env files) or are dropped (label files). */
export function readKvFile(file, fromEnv, env = process.env) {
    let text;
    try {
        text = readFileSync(file, "utf8");
    }
    catch (e) {
        throw new CliError(`open ${file}: ${e.code === "ENOENT" ? "no such file or directory" : e.message}`);
    }
    const out = [];
    text.split("\n").forEach((raw, i) => {
        const line = raw.replace(/^\s+/, "").replace(/\r$/, "");
        if (line === "" || line.startsWith("#"))
            return;
        const eq = line.indexOf("=");
        const name = eq < 0 ? line : line.slice(0, eq);
        if (/\s/.test(name))
            throw new CliError(`variable '${name}' contains whitespaces (line ${i + 1})`);
        if (eq >= 0)
            out.push(line);
        else if (fromEnv && env[line.trim()] !== undefined)
            out.push(`${line.trim()}=${env[line.trim()]}`);
    });
    return out;
}
/** "k=v" / "k" list into a map (ConvertKVStringsToMap). */
export function kvMap(list) {
    const m = {};
    for (const s of list) {
        const i = s.indexOf("=");
        if (i < 0)
            m[s] = "";
        else
            m[s.slice(0, i)] = s.slice(i + 1);
    }
    return m;
}
/** --ulimit nofile=1024:2048 (or nofile=1024 for soft=hard). */
export function parseUlimit(v) {
    const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
    if (!m)
        throw new CliError(`invalid ulimit argument: ${v}`);
    const soft = Number(m[2]);
    const hard = m[3] === undefined ? soft : Number(m[3]);
    if (soft > hard && hard !== -1)
        throw new CliError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
    return { Name: m[1], Hard: hard, Soft: soft };
}
const PERMS = /^[rwm]{1,3}$/;
/** --device /dev/a[:/dev/b][:rwm]. */
export function parseDevice(v) {
    const parts = v.split(":");
    let src = parts[0];
    let dst = "";
    let perms = "rwm";
    if (parts.length === 3) {
        [src, dst, perms] = parts;
        if (!PERMS.test(perms))
            throw new CliError(`bad mode specified: ${perms}`);
    }
    else if (parts.length === 2) {
        if (PERMS.test(parts[1]))
            perms = parts[1];
        else
            dst = parts[1];
    }
    else if (parts.length !== 1)
        throw new CliError(`invalid device specification: ${v}`);
    if (!dst)
        dst = src;
    return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}
/** --device-read-bps /dev/sda:1mb. */
export function parseThrottleBps(v) {
    const i = v.lastIndexOf(":");
    if (i <= 0 || !v.startsWith("/dev/"))
        throw new CliError(`bad format: ${v}`);
    let rate;
    try {
        rate = ramInBytes(v.slice(i + 1));
    }
    catch {
        throw new CliError(`invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
    return { Path: v.slice(0, i), Rate: rate };
}
/** --device-read-iops /dev/sda:1000. */
export function parseThrottleIops(v) {
    const m = /^(\/dev\/.+):(\d+)$/.exec(v);
    if (!m)
        throw new CliError(`invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`);
    return { Path: m[1], Rate: Number(m[2]) };
}
/** --blkio-weight-device /dev/sda:200. */
export function parseWeightDevice(v) {
    const m = /^(\/dev\/.+):(\d+)$/.exec(v);
    if (!m || Number(m[2]) < 10 || Number(m[2]) > 1000)
        throw new CliError(`invalid weight for device: ${v}`);
    return { Path: m[1], Weight: Number(m[2]) };
}
/** --restart no|always|unless-stopped|on-failure[:N]. */
export function parseRestart(v) {
    const [name, count] = v.split(":", 2);
    if (!["no", "always", "unless-stopped", "on-failure", ""].includes(name)) {
        throw new CliError(`invalid restart policy format: ${v}`);
    }
    if (count !== undefined && name !== "on-failure")
        throw new CliError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n))
        throw new CliError(`invalid restart policy format: maximum retry count must be an integer`);
    return { Name: name || "no", MaximumRetryCount: n };
}
/** --cpus 1.5 → 1500000000 NanoCPUs, exactly (no float error). */
export function parseCpus(v) {
    const m = /^(\d*)(?:\.(\d*))?$/.exec(v);
    if (!m || v === "" || v === ".")
        throw new CliError(`failed to parse ${v} as a rational number`);
    const frac = (m[2] ?? "").padEnd(9, "0");
    if (/[1-9]/.test(frac.slice(9)))
        throw new CliError("value is too precise");
    return Number(m[1] || "0") * 1e9 + Number(frac.slice(0, 9));
}
/** --cap-add net_admin → CAP_NET_ADMIN (ALL stays ALL). */
export function normalizeCap(c) {
    const u = c.trim().toUpperCase();
    return u === "ALL" || u.startsWith("CAP_") ? u : `CAP_${u}`;
}
/** Parses an integer flag, with docker's message on failure. */
export function intArg(v) {
    if (!/^-?\d+$/.test(v.trim()))
        throw new CliError(`invalid argument "${v}": strconv.ParseInt: parsing "${v}": invalid syntax`);
    return Number(v);
}
//# sourceMappingURL=misc.js.map
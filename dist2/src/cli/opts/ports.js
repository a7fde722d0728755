/** -p/--publish and --expose parsing, as docker's go-connections/nat. */
import { CliError } from "../client.js";
function parseRange(s) {
    if (s === "")
        throw new CliError("empty string specified for ports");
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m)
        throw new CliError(`invalid port specification: "${s}"`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (start > 65535 || end > 65535)
        throw new CliError(`invalid port specification: "${s}"`);
    if (end < start)
        throw new CliError(`invalid range specified for port: ${s}`);
    return [start, end];
}
function splitParts(raw) {
    const parts = raw.split(":");
    const n = parts.length;
    const container = parts[n - 1];
    if (n === 1)
        return ["", "", container];
    if (n === 2)
        return ["", parts[0], container];
    if (n === 3)
        return [parts[0], parts[1], container];
    return [parts.slice(0, n - 2).join(":"), parts[n - 2], container];
}
/** Parses one -p value into exposed ports and bindings ("[ip:][hostPort:]containerPort[/proto]"). */
export function parsePortSpec(raw, into = { exposed: {}, bindings: {} }) {
    let [ip, hostPort, containerPart] = splitParts(raw);
    if (ip.startsWith("[") && ip.endsWith("]"))
        ip = ip.slice(1, -1);
    if (ip && !/^[0-9.]+$/.test(ip) && !ip.includes(":"))
        throw new CliError(`invalid IP address: ${ip}`);
    const slash = containerPart.lastIndexOf("/");
    const proto = slash >= 0 ? containerPart.slice(slash + 1).toLowerCase() : "tcp";
    const cport = slash >= 0 ? containerPart.slice(0, slash) : containerPart;
    if (!["tcp", "udp", "sctp"].includes(proto))
        throw new CliError(`invalid proto: ${proto}`);
    if (cport === "")
        throw new CliError(`no port specified: ${raw}<empty>`);
    const [cStart, cEnd] = parseRange(cport);
    let hStart = 0;
    let hEnd = 0;
    if (hostPort !== "")
        [hStart, hEnd] = parseRange(hostPort);
    if (hostPort !== "" && cEnd - cStart !== hEnd - hStart) {
        // A single container port may take a host range; any other mismatch is an error.
        if (cEnd !== cStart)
            throw new CliError(`invalid ranges specified for container and host Ports: ${cport} and ${hostPort}`);
    }
    for (let i = 0; i <= cEnd - cStart; i++) {
        let hp = hostPort === "" ? "" : String(hStart + i);
        if (hostPort !== "" && cEnd === cStart && hEnd !== hStart)
            hp = `${hStart}-${hEnd}`;
        const key = `${cStart + i}/${proto}`;
        into.exposed[key] = {};
        into.bindings[key] ??= [];
        into.bindings[key].push({ HostIp: ip, HostPort: hp });
    }
    return into;
}
/** --expose: "80", "80/udp", "8000-8010". */
export function parseExpose(raw, into) {
    const slash = raw.lastIndexOf("/");
    const proto = slash >= 0 ? raw.slice(slash + 1) : "tcp";
    const [start, end] = parseRange(slash >= 0 ? raw.slice(0, slash) : raw);
    for (let p = start; p <= end; p++)
        into[`${p}/${proto}`] = {};
}
//# sourceMappingURL=ports.js.map
/** -v/--volume, --mount and --tmpfs parsing, as the docker CLI does it. */
import { isAbsolute, resolve } from "node:path";
import { CliError } from "../client.js";
import { ramInBytes } from "./units.js";
/** One -v value: "dst", "src:dst", "src:dst:mode". Relative "./x" sources become absolute. */
export function parseVolume(spec, cwd = process.cwd()) {
    const parts = spec.split(":");
    if (parts.length > 3 || parts.some((p) => p === ""))
        throw new CliError(`invalid spec: ${spec}: empty section between colons`);
    if (parts.length === 1) {
        if (!isAbsolute(parts[0]))
            throw new CliError(`invalid volume specification: '${spec}': invalid mount config for type "volume": invalid mount path: '${parts[0]}' mount path must be absolute`);
        return { anonymous: parts[0] };
    }
    const [src, dst, mode] = parts;
    if (!isAbsolute(dst))
        throw new CliError(`invalid volume specification: '${spec}': invalid mount config: invalid mount path: '${dst}' mount path must be absolute`);
    if (mode !== undefined &&
        !/^(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate|consistent|cached|delegated)(,(ro|rw|z|Z|nocopy|shared|rshared|slave|rslave|private|rprivate))*$/.test(mode)) {
        throw new CliError(`invalid volume specification: '${spec}': invalid mode: ${mode}`);
    }
    const host = !isAbsolute(src) && src.startsWith(".") ? resolve(cwd, src) : src;
    return { bind: [host, dst, ...(mode === undefined ? [] : [mode])].join(":") };
}
function kv(map, v) {
    const i = v.indexOf("=");
    if (i < 0)
        map[v] = "";
    else
        map[v.slice(0, i)] = v.slice(i + 1);
}
function parseBool(v, field) {
    if (/^(1|t|T|TRUE|true|True)$/.test(v))
        return true;
    if (/^(0|f|F|FALSE|false|False)$/.test(v))
        return false;
    throw new CliError(`invalid value for ${field}: ${v}`);
}
/** Splits a CSV line as Go's encoding/csv does (quotes allowed around fields). */
export function splitCsv(s) {
    const out = [];
    let cur = "";
    let q = false;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (q) {
            if (c === '"' && s[i + 1] === '"') {
                cur += '"';
                i++;
            }
            else if (c === '"')
                q = false;
            else
                cur += c;
        }
        else if (c === '"')
            q = true;
        else if (c === ",") {
            out.push(cur);
            cur = "";
        }
        else
            cur += c;
    }
    out.push(cur);
    return out;
}
/** One --mount value: "type=bind,source=/a,target=/b,readonly". */
export function parseMount(value, cwd = process.cwd()) {
    const m = { Type: "" };
    const volumeOptions = () => {
        m.VolumeOptions ??= { Labels: {} };
        m.VolumeOptions.DriverConfig ??= {};
        return m.VolumeOptions;
    };
    for (const field of splitCsv(value)) {
        const eq = field.indexOf("=");
        const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
        const val = eq < 0 ? "" : field.slice(eq + 1);
        if (eq < 0) {
            if (key === "readonly" || key === "ro")
                m.ReadOnly = true;
            else if (key === "volume-nocopy")
                volumeOptions().NoCopy = true;
            else if (key === "bind-nonrecursive")
                m.BindOptions = { ...m.BindOptions, NonRecursive: true };
            else
                throw new CliError(`invalid field '${field}' must be a key=value pair`);
            continue;
        }
        switch (key) {
            case "type":
                m.Type = val.toLowerCase();
                break;
            case "source":
            case "src":
                m.Source = val === "." || val.startsWith("./") ? resolve(cwd, val) : val;
                break;
            case "target":
            case "dst":
            case "destination":
                m.Target = val;
                break;
            case "readonly":
            case "ro":
                m.ReadOnly = parseBool(val, key);
                break;
            case "consistency":
                m.Consistency = val.toLowerCase();
                break;
            case "bind-propagation":
                m.BindOptions = { ...m.BindOptions, Propagation: val.toLowerCase() };
                break;
            case "volume-nocopy":
                volumeOptions().NoCopy = parseBool(val, key);
                break;
            case "volume-label":
                kv(volumeOptions().Labels, val);
                break;
            case "volume-driver":
                volumeOptions().DriverConfig.Name = val;
                break;
            case "volume-opt": {
                const dc = volumeOptions().DriverConfig;
                dc.Options ??= {};
                kv(dc.Options, val);
                break;
            }
            case "tmpfs-size":
                m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(val) };
                break;
            case "tmpfs-mode": {
                const mode = Number.parseInt(val, 8);
                if (Number.isNaN(mode))
                    throw new CliError(`invalid value for ${key}: ${val}`);
                m.TmpfsOptions = { ...m.TmpfsOptions, Mode: mode };
                break;
            }
            default:
                throw new CliError(`unexpected key '${key}' in '${field}'`);
        }
    }
    if (m.Type === "")
        m.Type = "volume";
    if (!m.Target)
        throw new CliError("target is required");
    if (m.VolumeOptions && m.Type !== "volume")
        throw new CliError(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
    if (m.BindOptions && m.Type !== "bind")
        throw new CliError(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
    if (m.TmpfsOptions && m.Type !== "tmpfs")
        throw new CliError(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
    return m;
}
/** One --tmpfs value: "/path[:options]". */
export function parseTmpfs(value, into) {
    const i = value.indexOf(":");
    const path = i < 0 ? value : value.slice(0, i);
    if (!isAbsolute(path))
        throw new CliError(`invalid tmpfs path: ${path}`);
    into[path] = i < 0 ? "" : value.slice(i + 1);
}
//# sourceMappingURL=mounts.js.map
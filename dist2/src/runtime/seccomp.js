/**
 * Docker's seccomp profile format (Debian's containers-common ships Docker's
 * default at /usr/share/containers/seccomp.json) -> the OCI `linux.seccomp`
 * for one container: only this host's architectures, and only the rules
 * whose capability and architecture conditions the container meets.
 */
import { readFile } from "node:fs/promises";
import { release } from "node:os";
import { invalid } from "../util/errors.js";
export const DEFAULT_PROFILE = "/usr/share/containers/seccomp.json";
const HOST_ARCH = {
    x64: { seccomp: "SCMP_ARCH_X86_64", names: ["amd64", "x86_64"] },
    arm64: { seccomp: "SCMP_ARCH_AARCH64", names: ["arm64", "aarch64"] },
};
export function toOciSeccomp(p, caps) {
    const host = HOST_ARCH[process.arch] ?? HOST_ARCH.x64;
    const entry = p.archMap?.find((a) => a.architecture === host.seccomp);
    const architectures = entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [host.seccomp];
    const has = (c) => caps.includes(c.startsWith("CAP_") ? c : `CAP_${c}`);
    const syscalls = [];
    for (const r of p.syscalls ?? []) {
        if (r.includes?.arches?.length && !r.includes.arches.some((a) => host.names.includes(a)))
            continue;
        if (r.excludes?.arches?.some((a) => host.names.includes(a)))
            continue;
        if (r.includes?.caps?.length && !r.includes.caps.every(has))
            continue;
        if (r.includes?.minKernel && kernelOlderThan(r.includes.minKernel))
            continue;
        if (r.excludes?.caps?.some(has))
            continue;
        syscalls.push({
            names: r.names ?? (r.name ? [r.name] : []),
            action: r.action,
            ...(r.args?.length ? { args: r.args } : {}),
            ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
        });
    }
    return {
        defaultAction: p.defaultAction,
        ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
        architectures,
        syscalls,
    };
}
/** Docker's `minKernel` condition: "4.8" against this host's `uname -r`. */
function kernelOlderThan(min) {
    const num = (v) => v
        .split(/[.-]/)
        .slice(0, 2)
        .map((x) => Number.parseInt(x, 10) || 0);
    const [a = 0, b = 0] = num(release());
    const [c = 0, d = 0] = num(min);
    return a < c || (a === c && b < d);
}
const cache = new Map();
/** `--security-opt seccomp=unconfined|<file>`, else the default profile. */
export async function seccompFor(securityOpt, caps, defaultPath = DEFAULT_PROFILE) {
    const opt = securityOpt.find((s) => s.startsWith("seccomp=") || s.startsWith("seccomp:"));
    const value = opt?.slice("seccomp=".length);
    if (value === "unconfined")
        return undefined;
    const path = value || defaultPath;
    let profile = cache.get(path);
    if (!profile) {
        try {
            profile = JSON.parse(await readFile(path, "utf8"));
        }
        catch (err) {
            throw invalid(`opening seccomp profile (${path}) failed: ${err.message}`);
        }
        if (!value)
            cache.set(path, profile);
    }
    return toOciSeccomp(profile, caps);
}
//# sourceMappingURL=seccomp.js.map
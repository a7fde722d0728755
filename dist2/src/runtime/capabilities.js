/** Linux capabilities: Docker's default set, --cap-add/--cap-drop, and what the host can give. */
import { readFileSync } from "node:fs";
import { invalid } from "../util/errors.js";
export const ALL_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];
export const DEFAULT_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];
/** The capabilities in this process's bounding set: a container can never have more. */
export function hostCaps() {
    const status = readFileSync("/proc/self/status", "utf8");
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
    if (!m)
        return ALL_CAPS;
    const mask = BigInt(`0x${m[1]}`);
    return ALL_CAPS.filter((_, i) => (mask >> BigInt(i)) & 1n);
}
function normalize(c) {
    const up = c.toUpperCase();
    return up === "ALL" ? "ALL" : up.startsWith("CAP_") ? up : `CAP_${up}`;
}
/** Docker's merge rules: start from the default set (or all if privileged), add, then drop. */
export function effectiveCaps(opts) {
    const host = hostCaps();
    if (opts.privileged)
        return host;
    const add = (opts.add ?? []).map(normalize);
    const drop = (opts.drop ?? []).map(normalize);
    for (const c of [...add, ...drop]) {
        if (c !== "ALL" && !ALL_CAPS.includes(c))
            throw invalid(`unknown capability: "${c}"`);
    }
    let caps = drop.includes("ALL") ? [] : [...DEFAULT_CAPS];
    if (add.includes("ALL"))
        caps = [...host];
    else
        for (const c of add)
            if (!caps.includes(c))
                caps.push(c);
    caps = caps.filter((c) => !drop.includes(c) || add.includes(c));
    return caps.filter((c) => host.includes(c));
}
//# sourceMappingURL=capabilities.js.map
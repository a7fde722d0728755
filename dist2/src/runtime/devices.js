import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
/** Linux's dev_t encoding: 12 bits of major, 20 of minor split around it. */
export function deviceNumbers(rdev) {
    return { major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}
/** The spec entry for a device node, or undefined when it is not one. */
export function deviceOf(path, st, permissions = "rwm") {
    if (!st.isCharacterDevice() && !st.isBlockDevice())
        return undefined;
    return {
        path,
        type: st.isCharacterDevice() ? "c" : "b",
        ...deviceNumbers(st.rdev),
        fileMode: st.mode & 0o777,
        uid: st.uid,
        gid: st.gid,
        permissions,
    };
}
// Directories whose nodes belong to the container's own mounts, and the nodes
// runc always creates itself (listing them again would make it mknod twice).
const SKIP_DIRS = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);
const RUNC_DEFAULTS = new Set(["null", "zero", "full", "random", "urandom", "tty", "console", "ptmx"]);
/** Every device node under the host's /dev, as Docker's --privileged sees them. */
export async function hostDevices(dir = "/dev") {
    const out = [];
    for (const name of await readdir(dir).catch(() => [])) {
        const path = join(dir, name);
        const st = await lstat(path).catch(() => undefined);
        if (!st)
            continue;
        if (st.isDirectory()) {
            if (!SKIP_DIRS.has(name))
                out.push(...(await hostDevices(path)));
            continue;
        }
        if (dir === "/dev" && RUNC_DEFAULTS.has(name))
            continue;
        const dev = deviceOf(path, st);
        if (dev)
            out.push(dev);
    }
    return out;
}
//# sourceMappingURL=devices.js.map
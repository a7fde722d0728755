/**
 * userns-remap: container ids 0..size-1 are host ids start..start+size-1.
 * The whole daemon root is stored in the host id space (layers extracted
 * shifted, upper dirs and volumes owned by the remapped root), so this is
 * one setting per daemon process, made once at start before any storage is
 * touched. Without it every function here is the identity.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { lchown } from "node:fs/promises";
let current;
export function setRemap(m) {
    current = m;
}
export function remap() {
    return current;
}
/** A container uid/gid as stored on the host. */
export const hostUid = (id) => (current && id < current.size ? id + current.uid : id);
export const hostGid = (id) => (current && id < current.size ? id + current.gid : id);
/** A host uid/gid as the container (and any tar we write) sees it; unmapped ids become nobody. */
export const containerUid = (id) => current ? (id >= current.uid && id < current.uid + current.size ? id - current.uid : 65534) : id;
export const containerGid = (id) => current ? (id >= current.gid && id < current.gid + current.size ? id - current.gid : 65534) : id;
/** Makes `path` belong to the container's root (a no-op without remapping). */
export async function chownToContainerRoot(path) {
    if (current)
        await lchown(path, current.uid, current.gid);
}
/** The first subordinate range of `name` (or its numeric id) in /etc/subuid or /etc/subgid. */
function subordinate(file, names) {
    let text = "";
    try {
        text = readFileSync(file, "utf8");
    }
    catch {
        return undefined;
    }
    for (const line of text.split("\n")) {
        const [who, start, size] = line.trim().split(":");
        if (who && names.includes(who) && start && size)
            return { start: Number(start), size: Number(size) };
    }
    return undefined;
}
function idOf(kind, name) {
    try {
        return execFileSync("getent", [kind, name]).toString().split(":")[2];
    }
    catch {
        return undefined;
    }
}
/**
 * Docker's `userns-remap` value: "default" (the dockremap user, created with
 * ranges when missing), "user", "user:group", or numeric ids; the ranges come
 * from /etc/subuid and /etc/subgid.
 */
export function resolveRemap(spec) {
    let [user = "", group] = spec.split(":");
    if (spec === "default") {
        user = "dockremap";
        if (!idOf("passwd", user)) {
            execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/bin/false", user]);
        }
        if (!subordinate("/etc/subuid", [user]) || !subordinate("/etc/subgid", [user])) {
            const start = freeRange();
            execFileSync("usermod", [
                "--add-subuids",
                `${start}-${start + 65535}`,
                "--add-subgids",
                `${start}-${start + 65535}`,
                user,
            ]);
        }
    }
    group ??= user;
    const uidNames = [user, idOf("passwd", user)].filter((x) => !!x);
    const gidNames = [group, idOf("group", group)].filter((x) => !!x);
    const u = subordinate("/etc/subuid", uidNames);
    const g = subordinate("/etc/subgid", gidNames);
    if (!u)
        throw new Error(`userns-remap: no subordinate uid range for ${user} in /etc/subuid`);
    if (!g)
        throw new Error(`userns-remap: no subordinate gid range for ${group} in /etc/subgid`);
    return { uid: u.start, gid: g.start, size: Math.min(u.size, g.size) };
}
/** A 65536-id range above every range already in /etc/subuid and /etc/subgid. */
function freeRange() {
    let top = 100_000;
    for (const f of ["/etc/subuid", "/etc/subgid"]) {
        let text = "";
        try {
            text = readFileSync(f, "utf8");
        }
        catch { }
        for (const line of text.split("\n")) {
            const [, start, size] = line.split(":");
            if (start && size)
                top = Math.max(top, Number(start) + Number(size));
        }
    }
    return top;
}
//# sourceMappingURL=idmap.js.map
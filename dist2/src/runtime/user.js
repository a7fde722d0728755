/**
 * `--user` resolution against the image's /etc/passwd and /etc/group,
 * read inside the container root without following links out of it.
 */
import { lstat, readFile, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { invalid } from "../util/errors.js";
/** Resolves a path inside `root` (symlinks are followed but stay within root). */
async function insideRoot(root, path) {
    const parts = posix.normalize(path).split("/").filter(Boolean);
    let cur = "/";
    for (let hops = 0; parts.length;) {
        const name = parts.shift();
        if (name === "..") {
            cur = posix.dirname(cur);
            continue;
        }
        const next = posix.join(cur, name);
        const st = await lstat(posix.join(root, next)).catch(() => undefined);
        if (st?.isSymbolicLink()) {
            if (++hops > 40)
                throw invalid(`too many symlinks resolving ${path}`);
            const t = await readlink(posix.join(root, next));
            parts.unshift(...posix
                .normalize(t.startsWith("/") ? t : posix.join(cur, t))
                .split("/")
                .filter(Boolean));
            cur = "/";
            continue;
        }
        cur = next;
    }
    return posix.join(root, cur);
}
async function readLines(root, path) {
    try {
        const file = await insideRoot(root, path);
        // Only a plain file of sane size: never block on a fifo or read a device.
        const st = await lstat(file);
        if (!st.isFile() || st.size > 16 * 1024 * 1024)
            return [];
        const text = await readFile(file, "utf8");
        return text
            .split("\n")
            .filter((l) => l && !l.startsWith("#"))
            .map((l) => l.split(":"));
    }
    catch {
        return [];
    }
}
const isNum = (s) => /^\d+$/.test(s);
export async function resolveUser(root, spec, groupAdd = []) {
    const [userPart = "", groupPart] = spec.split(":");
    for (const n of [userPart, groupPart ?? ""])
        if (isNum(n) && Number(n) > 2147483647)
            throw invalid("uids and gids must be in range 0-2147483647");
    const passwd = await readLines(root, "/etc/passwd");
    const groups = await readLines(root, "/etc/group");
    let uid = 0;
    let gid = 0;
    let home = "/";
    let name = "root";
    if (userPart === "") {
        const entry = passwd.find((p) => p[2] === "0");
        if (entry)
            home = entry[5] || "/";
    }
    else {
        const entry = passwd.find((p) => (isNum(userPart) ? p[2] === userPart : p[0] === userPart));
        if (entry) {
            uid = Number(entry[2]);
            gid = Number(entry[3]);
            home = entry[5] || "/";
            name = entry[0];
        }
        else if (isNum(userPart)) {
            uid = Number(userPart);
        }
        else {
            throw invalid(`unable to find user ${userPart}: no matching entries in passwd file`);
        }
    }
    if (groupPart !== undefined && groupPart !== "") {
        const g = groups.find((x) => (isNum(groupPart) ? x[2] === groupPart : x[0] === groupPart));
        if (g)
            gid = Number(g[2]);
        else if (isNum(groupPart))
            gid = Number(groupPart);
        else
            throw invalid(`unable to find group ${groupPart}: no matching entries in group file`);
    }
    // Supplementary groups: those listing the user, then --group-add.
    const additional = new Set();
    if (groupPart === undefined || groupPart === "") {
        for (const g of groups)
            if ((g[3] ?? "").split(",").includes(name) && Number(g[2]) !== gid)
                additional.add(Number(g[2]));
    }
    for (const ga of groupAdd) {
        const g = groups.find((x) => (isNum(ga) ? x[2] === ga : x[0] === ga));
        if (g)
            additional.add(Number(g[2]));
        else if (isNum(ga))
            additional.add(Number(ga));
        else
            throw invalid(`Unable to find group ${ga}: no matching entries in group file`);
    }
    return { uid, gid, additionalGids: [...additional], home };
}
//# sourceMappingURL=user.js.map
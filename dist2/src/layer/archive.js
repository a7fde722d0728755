/**
 * Directory -> tar stream (export, cp, commit). Deterministic order,
 * ownership, modes, mtimes, symlinks, hardlinks (by inode), devices, fifos
 * and xattrs (PAX SCHILY.xattr.*). Never follows symlinks.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { lgetxattr, llistxattr } from "../sys/libc.js";
import { containerGid, containerUid } from "../util/idmap.js";
export function xattrsOf(path) {
    let names;
    try {
        names = llistxattr(path);
    }
    catch {
        return undefined;
    }
    const out = {};
    for (const n of names) {
        if (n.startsWith("trusted.overlay."))
            continue; // overlay internals never travel
        const v = lgetxattr(path, n);
        if (v)
            out[`SCHILY.xattr.${n}`] = v.toString("latin1");
    }
    return Object.keys(out).length ? out : undefined;
}
const inodeKey = (st) => `${st.dev}:${st.ino}`;
/** Writes one filesystem object as a tar entry (hardlinks tracked in `seen`). */
export async function packEntry(pack, name, path, st, seen) {
    const base = {
        name,
        mode: st.mode & 0o7777,
        uid: containerUid(st.uid),
        gid: containerGid(st.gid),
        mtime: st.mtime,
        pax: xattrsOf(path),
    };
    const add = (h, body) => new Promise((resolve, reject) => {
        if (!body) {
            pack.entry(h, (err) => (err ? reject(err) : resolve()));
            return;
        }
        const e = pack.entry(h, (err) => (err ? reject(err) : resolve()));
        pipeline(body, e).catch(reject);
    });
    if (st.isDirectory())
        return add({ ...base, name: name.endsWith("/") ? name : `${name}/`, type: "directory" });
    if (st.isSymbolicLink())
        return add({ ...base, type: "symlink", linkname: await readlink(path) });
    if (st.isFile()) {
        if (st.nlink > 1) {
            const first = seen.get(inodeKey(st));
            if (first)
                return add({ ...base, type: "link", linkname: first, size: 0 });
            seen.set(inodeKey(st), name);
        }
        return add({ ...base, type: "file", size: st.size }, createReadStream(path));
    }
    if (st.isFIFO())
        return add({ ...base, type: "fifo" });
    if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        return add({
            ...base,
            type: st.isCharacterDevice() ? "character-device" : "block-device",
            devmajor: (rdev >> 8) & 0xfff,
            devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
        });
    }
    // sockets are skipped, as Docker does
}
/** A tar of `path` (a directory's tree, or a single file). */
export function tarDirectory(path, opts = {}) {
    const pack = tar.pack();
    const out = new PassThrough();
    const seen = new Map();
    const prefix = opts.prefix ?? "";
    (async () => {
        const st = await lstat(path);
        const rootDev = st.dev;
        const walk = async (abs, name, s) => {
            if (opts.filter && !opts.filter(name, s))
                return;
            if (name !== "")
                await packEntry(pack, name, abs, s, seen);
            if (!s.isDirectory())
                return;
            const children = (await readdir(abs)).sort();
            for (const c of children) {
                const cabs = posix.join(abs, c);
                const cs = await lstat(cabs);
                if (opts.excludeMounts && cs.dev !== rootDev && cs.isDirectory()) {
                    // A mount point inside the root: include the empty dir, not its content.
                    await packEntry(pack, name ? `${name}/${c}` : c, cabs, cs, seen);
                    continue;
                }
                await walk(cabs, name ? `${name}/${c}` : c, cs);
            }
        };
        if (!st.isDirectory()) {
            await packEntry(pack, prefix || posix.basename(path), path, st, seen);
        }
        else {
            await walk(path, prefix === "." ? "" : prefix, st);
            if (prefix === ".") {
                // "dir/." copies contents; Docker still includes a "./" entry for the dir itself.
            }
        }
        pack.finalize();
    })().catch((err) => pack.destroy(err));
    pack.on("error", (err) => out.destroy(err));
    return pack.pipe(out);
}
//# sourceMappingURL=archive.js.map
import { lstat, readdir } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough } from "node:stream";
import tar from "tar-stream";
import { lgetxattr } from "../sys/libc.js";
import { packEntry } from "./archive.js";
function isWhiteout(st) {
    return st.isCharacterDevice() && st.rdev === 0;
}
function isOpaque(path) {
    return lgetxattr(path, "trusted.overlay.opaque")?.toString() === "y";
}
async function existsInLowers(lowers, rel) {
    for (const l of lowers) {
        try {
            await lstat(posix.join(l, rel));
            return true;
        }
        catch {
            // not in this layer
        }
    }
    return false;
}
/** Walks the upper dir in sorted order, calling `visit` for every entry below it. */
async function walkUpper(upper, visit) {
    const walk = async (rel) => {
        const abs = posix.join(upper, rel);
        for (const name of (await readdir(abs)).sort()) {
            const crel = rel ? `${rel}/${name}` : name;
            const cabs = posix.join(upper, crel);
            const st = await lstat(cabs);
            const descend = await visit(crel, cabs, st);
            if (st.isDirectory() && descend !== false)
                await walk(crel);
        }
    };
    await walk("");
}
export async function changes(upper, lowers) {
    const out = [];
    await walkUpper(upper, async (rel, abs, st) => {
        const path = `/${rel}`;
        if (isWhiteout(st)) {
            out.push({ kind: "D", path });
            return;
        }
        const inLower = await existsInLowers(lowers, rel);
        if (!inLower) {
            out.push({ kind: "A", path });
            // Everything below a new directory is new too.
            return;
        }
        if (st.isDirectory() && isOpaque(abs)) {
            out.push({ kind: "C", path });
            // Lower entries hidden by the opaque dir and not recreated are deletions.
            const upperNames = new Set(await readdir(abs));
            const hidden = new Set();
            for (const l of lowers) {
                try {
                    for (const n of await readdir(posix.join(l, rel)))
                        if (!upperNames.has(n))
                            hidden.add(n);
                }
                catch {
                    // the dir is not in this layer
                }
            }
            for (const n of [...hidden].sort())
                out.push({ kind: "D", path: `${path}/${n}` });
            return;
        }
        out.push({ kind: "C", path });
    });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
/** The layer tar of an upper dir: whiteouts as `.wh.<name>`, opaque dirs with `.wh..wh..opq`. */
export function diffTar(upper, _lowers = []) {
    const pack = tar.pack();
    const out = new PassThrough();
    const seen = new Map();
    (async () => {
        await walkUpper(upper, async (rel, abs, st) => {
            if (isWhiteout(st)) {
                const wh = posix.join(posix.dirname(rel), `.wh.${posix.basename(rel)}`);
                await new Promise((resolve, reject) => pack.entry({ name: wh, type: "file", size: 0, mode: 0o600, mtime: st.mtime }, "", (err) => err ? reject(err) : resolve()));
                return;
            }
            await packEntry(pack, rel, abs, st, seen);
            if (st.isDirectory() && isOpaque(abs)) {
                await new Promise((resolve, reject) => pack.entry({ name: `${rel}/.wh..wh..opq`, type: "file", size: 0, mode: 0o600, mtime: st.mtime }, "", (err) => (err ? reject(err) : resolve())));
            }
        });
        pack.finalize();
    })().catch((err) => pack.destroy(err));
    pack.on("error", (err) => out.destroy(err));
    // A consumer that gives up (e.g. ENOSPC storing the layer) ends the walk and its open file.
    out.on("close", () => pack.destroy());
    return pack.pipe(out);
}
//# sourceMappingURL=diff.js.map
/**
 * COPY and ADD into a mounted root: Docker's rules for directories (their
 * contents are copied), trailing slashes (a directory destination), --chown
 * and --chmod, and ADD's extraction of local tar archives.
 */
import { createReadStream } from "node:fs";
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { resolveInRoot } from "../engine/containers/fsviews.js";
import { extractArchive } from "../layer/apply.js";
import { decompress } from "../layer/compression.js";
async function copyTree(src, dst, o) {
    const st = await lstat(src);
    const own = async (p, s) => {
        await lchown(p, o.uid ?? 0, o.gid ?? 0);
        if (!s.isSymbolicLink())
            await chmod(p, o.mode ?? s.mode & 0o7777);
    };
    if (st.isDirectory()) {
        await mkdir(dst, { recursive: true });
        for (const name of (await readdir(src)).sort())
            await copyTree(join(src, name), join(dst, name), o);
        await own(dst, st);
    }
    else if (st.isSymbolicLink()) {
        await rm(dst, { force: true, recursive: true });
        await symlink(await readlink(src), dst);
        await own(dst, st);
    }
    else if (st.isFile()) {
        await rm(dst, { force: true, recursive: true });
        await copyFile(src, dst);
        await own(dst, st);
    }
}
async function isTarArchive(path) {
    const fh = await import("node:fs/promises").then((fs) => fs.open(path, "r"));
    try {
        const buf = Buffer.alloc(512);
        const { bytesRead } = await fh.read(buf, 0, 512, 0);
        if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)
            return true;
        return bytesRead >= 262 && buf.subarray(257, 262).toString() === "ustar";
    }
    finally {
        await fh.close();
    }
}
/**
 * Copies `sources` (absolute host paths) to `dest` (container path, already
 * made absolute against WORKDIR) inside `root`.
 */
export async function copyInto(root, sources, dest, o) {
    const destIsDir = dest.endsWith("/") || sources.length > 1;
    const target = await resolveInRoot(root, dest, true);
    const targetSt = await lstat(target).catch(() => undefined);
    for (const src of sources) {
        const st = await lstat(src);
        if (o.extract && st.isFile() && (await isTarArchive(src))) {
            await mkdir(target, { recursive: true });
            await extractArchive(await decompress(createReadStream(src)), target, { preserveOwners: true });
            continue;
        }
        if (st.isDirectory()) {
            // A directory's contents are copied, not the directory itself.
            await mkdir(target, { recursive: true });
            for (const name of (await readdir(src)).sort())
                await copyTree(join(src, name), join(target, name), o);
            continue;
        }
        if (destIsDir || targetSt?.isDirectory()) {
            await mkdir(target, { recursive: true });
            await copyTree(src, join(target, posix.basename(src)), o);
        }
        else {
            await mkdir(posix.dirname(target), { recursive: true });
            await copyTree(src, target, o);
        }
    }
}
//# sourceMappingURL=copy.js.map
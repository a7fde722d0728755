/**
 * Docker fills an empty volume from the image content at its mount point
 * the first time it is used. Ownership, modes, symlinks and times are kept;
 * links are copied as links, never followed.
 */
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";
export async function isEmptyDir(dir) {
    return (await readdir(dir).catch(() => [])).length === 0;
}
export async function copyUp(src, dst) {
    const st = await lstat(src).catch(() => undefined);
    if (!st?.isDirectory())
        return;
    await lchown(dst, st.uid, st.gid);
    await chmod(dst, st.mode & 0o7777);
    for (const name of await readdir(src)) {
        const s = join(src, name);
        const d = join(dst, name);
        const cs = await lstat(s);
        if (cs.isDirectory()) {
            await mkdir(d);
            await copyUp(s, d);
        }
        else if (cs.isSymbolicLink()) {
            await symlink(await readlink(s), d);
        }
        else if (cs.isFile()) {
            await copyFile(s, d);
        }
        else
            continue;
        await lchown(d, cs.uid, cs.gid);
        if (!cs.isSymbolicLink())
            await chmod(d, cs.mode & 0o7777);
        await lutimes(d, cs.atime, cs.mtime).catch(() => { });
    }
}
//# sourceMappingURL=copyup.js.map
/**
 * Docker fills an empty volume from the image content at its mount point
 * the first time it is used. Ownership, modes, symlinks and times are kept;
 * links are copied as links, never followed.
 */
import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";
import { closeFd, fdPath, openInRoot, openTree } from "../layer/securejoin.js";

export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length === 0;
}

export async function copyUp(src: string, dst: string): Promise<void> {
  const st = await lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return;
  await lchown(dst, st.uid, st.gid);
  await chmod(dst, st.mode & 0o7777);
  for (const name of await readdir(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const cs = await lstat(s);
    if (cs.isDirectory()) {
      await mkdir(d);
      await copyUp(s, d);
    } else if (cs.isSymbolicLink()) {
      await symlink(await readlink(s), d);
    } else if (cs.isFile()) {
      await copyFile(s, d);
    } else continue;
    await lchown(d, cs.uid, cs.gid);
    if (!cs.isSymbolicLink()) await chmod(d, cs.mode & 0o7777);
    await lutimes(d, cs.atime, cs.mtime).catch(() => {});
  }
}

/**
 * Fills `dst` from what the image has at `path` inside `rootfs`, the path
 * resolved inside the root (an image's symlink never leads to a host
 * directory); nothing happens when it is missing or not a directory.
 */
export async function copyUpFromRoot(rootfs: string, path: string, dst: string): Promise<void> {
  const tree = openTree(rootfs);
  let fd: number | undefined;
  try {
    fd = openInRoot(tree, path).fd;
    await copyUp(`${fdPath(fd)}/.`, dst);
  } catch {
    // missing or not a directory: nothing to copy
  } finally {
    if (fd !== undefined) closeFd(fd);
    closeFd(tree);
  }
}

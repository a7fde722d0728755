/**
 * COPY and ADD into a mounted root: Docker's rules for directories (their
 * contents are copied), trailing slashes (a directory destination), --chown
 * and --chmod, and ADD's extraction of local tar archives.
 *
 * The root is an image's tree, not trusted: every destination directory is
 * resolved inside it (layer/securejoin.ts; a symlink in the image is followed
 * inside the root, never onto the host) and written through its fd.
 */
import type { Stats } from "node:fs";
import { constants, createReadStream } from "node:fs";
import {
  chmod,
  chown,
  copyFile,
  lchown,
  lstat,
  open,
  readdir,
  readlink,
  rm,
  symlink,
} from "node:fs/promises";
import { join, posix } from "node:path";
import { extractArchive } from "../layer/apply.js";
import { decompress } from "../layer/compression.js";
import { closeFd, fdPath, openInRoot, openTree, type Resolved, statFd } from "../layer/securejoin.js";
import type { SyscallError } from "../sys/libc.js";
import type { Source } from "./context.js";

export interface CopyOptions {
  uid?: number;
  gid?: number;
  mode?: number;
  /** ADD: extract local tar archives. */
  extract: boolean;
  /** Source paths (as reached under a Source's `path`) left out (COPY --exclude, .dockerignore). */
  skip?: (src: string) => boolean;
}

/** Opens `path` inside `root` (walk: its canonical path is wanted); undefined when missing. */
function tryOpen(root: number, path: string): Resolved | undefined {
  try {
    return openInRoot(root, path, { walk: true });
  } catch (err) {
    if (["ENOENT", "ENOTDIR"].includes((err as SyscallError).code)) return undefined;
    throw err;
  }
}

/**
 * Copies `src` (stat `st`) to `name` in the directory `dir` (an fd inside
 * `root`, at canonical path `at`). Directories below are resolved inside
 * the root again, so an image's symlink never leads out of it.
 */
async function copyTree(
  src: string,
  st: Stats,
  root: number,
  dir: number,
  at: string,
  name: string,
  o: CopyOptions,
): Promise<void> {
  if (o.skip?.(src)) return;
  const dst = fdPath(dir, name);
  if (st.isDirectory()) {
    const cur = await lstat(dst).catch(() => undefined);
    if (cur && !cur.isDirectory() && !cur.isSymbolicLink()) await rm(dst, { force: true });
    const sub = openInRoot(root, posix.join(at, name), { mkdirs: true });
    try {
      const subAt = sub.path ?? posix.join(at, name);
      for (const n of (await readdir(src)).sort()) {
        const child = join(src, n);
        await copyTree(child, await lstat(child), root, sub.fd, subAt, n, o);
      }
      // The magic link leads to the directory itself: chown/chmod follow it on purpose.
      await chown(fdPath(sub.fd), o.uid ?? 0, o.gid ?? 0);
      await chmod(fdPath(sub.fd), o.mode ?? st.mode & 0o7777);
    } finally {
      closeFd(sub.fd);
    }
    return;
  }
  if (!st.isSymbolicLink() && !st.isFile()) return;
  await rm(dst, { force: true, recursive: true });
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dst);
    await lchown(dst, o.uid ?? 0, o.gid ?? 0);
    return;
  }
  // COPYFILE_EXCL: the new file is created, never opened through a link.
  await copyFile(src, dst, constants.COPYFILE_EXCL);
  await lchown(dst, o.uid ?? 0, o.gid ?? 0);
  await chmod(dst, o.mode ?? st.mode & 0o7777);
}

async function isTarArchive(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true;
    return bytesRead >= 262 && buf.subarray(257, 262).toString() === "ustar";
  } finally {
    await fh.close();
  }
}

/**
 * Copies `sources` (resolved inside their tree) to `dest` (container path,
 * already made absolute against WORKDIR) inside the host directory `rootDir`.
 */
export async function copyInto(
  rootDir: string,
  sources: Source[],
  dest: string,
  o: CopyOptions,
): Promise<void> {
  const root = openTree(rootDir);
  const held: number[] = [];
  try {
    const destIsDir = dest.endsWith("/") || sources.length > 1;
    const existing = tryOpen(root, dest);
    if (existing) held.push(existing.fd);
    const existingDir = existing ? statFd(existing.fd).isDirectory() : false;
    let dir: Resolved | undefined = existingDir ? existing : undefined;
    const destDir = () => {
      if (!dir) {
        dir = openInRoot(root, dest, { mkdirs: true });
        held.push(dir.fd);
      }
      return dir;
    };
    for (const src of sources) {
      if (o.skip?.(src.path)) continue;
      if (o.extract && src.st.isFile() && (await isTarArchive(src.path))) {
        const d = destDir();
        await extractArchive(await decompress(createReadStream(src.path)), fdPath(d.fd), {
          preserveOwners: true,
        });
        continue;
      }
      if (src.st.isDirectory()) {
        // A directory's contents are copied, not the directory itself.
        const d = destDir();
        for (const n of (await readdir(src.path)).sort()) {
          const child = join(src.path, n);
          await copyTree(child, await lstat(child), root, d.fd, d.path ?? dest, n, o);
        }
        continue;
      }
      if (destIsDir || existingDir) {
        const d = destDir();
        await copyTree(src.path, src.st, root, d.fd, d.path ?? dest, src.name, o);
      } else {
        // A file destination: its (canonical) parent is made inside the root, the file replaced.
        const canon = existing?.path ?? posix.normalize(dest);
        const parent = openInRoot(root, posix.dirname(canon), { mkdirs: true });
        held.push(parent.fd);
        await copyTree(src.path, src.st, root, parent.fd, parent.path ?? "/", posix.basename(canon), o);
      }
    }
  } finally {
    for (const fd of held) closeFd(fd);
    closeFd(root);
  }
}

/** Writes `body` to the file `dest` inside `rootDir` (a heredoc COPY), parents created inside the root. */
export async function writeInto(rootDir: string, dest: string, body: string, mode: number): Promise<void> {
  const root = openTree(rootDir);
  try {
    const existing = tryOpen(root, dest);
    const canon = existing?.path ?? posix.normalize(dest);
    if (existing) closeFd(existing.fd);
    const parent = openInRoot(root, posix.dirname(canon), { mkdirs: true });
    try {
      const target = fdPath(parent.fd, posix.basename(canon));
      await rm(target, { force: true, recursive: true });
      const fh = await open(target, "wx", mode);
      try {
        await fh.writeFile(body);
        await fh.chmod(mode);
      } finally {
        await fh.close();
      }
    } finally {
      closeFd(parent.fd);
    }
  } finally {
    closeFd(root);
  }
}

/** `mkdir -p` of `dir` inside the host directory `rootDir` (WORKDIR), every component resolved inside it. */
export async function mkdirInto(rootDir: string, dir: string): Promise<void> {
  const root = openTree(rootDir);
  try {
    closeFd(openInRoot(root, dir, { mkdirs: true }).fd);
  } finally {
    closeFd(root);
  }
}

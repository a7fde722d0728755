/**
 * Directory -> tar stream (export, cp, commit). Deterministic order,
 * ownership, modes, mtimes, symlinks, hardlinks (by inode), devices, fifos
 * and xattrs (PAX SCHILY.xattr.*). Never follows symlinks: each directory
 * is opened from its parent's fd (O_NOFOLLOW|O_DIRECTORY) and its entries
 * reached as `/proc/self/fd/N/<name>` with calls that do not follow `<name>`,
 * so a tree changing under us (a running container) cannot swap in a link
 * that leads the walk onto the host.
 */

import type { Stats } from "node:fs";
import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { lstat, readdir, readlink, stat } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { closeFd, dupFd, lgetxattr, llistxattr, O_CLOEXEC, O_PATH, openat } from "../sys/libc.js";
import { containerGid, containerUid } from "../util/idmap.js";
import { piped } from "../util/stream.js";
import { isOverlayXattr } from "./overlayxattr.js";
import { fdPath } from "./securejoin.js";

export interface TarOptions {
  /** Name of the top entry in the archive ("" = the contents at the archive root). */
  prefix?: string;
  /** Skip mount points below the root (export of a container's root). */
  excludeMounts?: boolean;
  /**
   * Called per entry; return false to skip it (and its children), or a
   * replacement header (e.g. a whiteout) via `transform`.
   */
  filter?: (rel: string, st: Stats) => boolean;
  /**
   * What is overlaid at an entry (a stopped container's volume, bind or
   * /etc/hosts), by entry name: its fd (owned by the caller) replaces the
   * tree's object there.
   */
  mountAt?: (name: string) => number | undefined;
  /** `path` is a trusted /proc/self/fd/N magic link to a file (an overlaid mount): stat and read it following. */
  viaFd?: boolean;
  /**
   * Called once the walk is over (done, failed or abandoned by the consumer):
   * the caller closes the fds the walk reads through only then, so a number
   * is never reused under it.
   */
  release?: () => void;
}

export function xattrsOf(path: string): Record<string, string> | undefined {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const n of names) {
    if (isOverlayXattr(n)) continue; // overlay internals never travel
    const v = lgetxattr(path, n);
    if (v) out[`SCHILY.xattr.${n}`] = v.toString("latin1");
  }
  return Object.keys(out).length ? out : undefined;
}

export type EntryWriter = (pack: tar.Pack, name: string, path: string, st: Stats) => Promise<void>;

const inodeKey = (st: Stats) => `${st.dev}:${st.ino}`;

/** Writes one filesystem object as a tar entry (hardlinks tracked in `seen`). */
export async function packEntry(
  pack: tar.Pack,
  name: string,
  path: string,
  st: Stats,
  seen: Map<string, string>,
  /** `path` is a trusted /proc/self/fd/N magic link (an overlaid file): open it following. */
  viaFd = false,
): Promise<void> {
  const base = {
    name,
    mode: st.mode & 0o7777,
    uid: containerUid(st.uid),
    gid: containerGid(st.gid),
    mtime: st.mtime,
    pax: xattrsOf(path),
  };
  const add = (h: Partial<tar.Header> & { name: string }, body?: Readable) =>
    new Promise<void>((resolve, reject) => {
      // A pack destroyed meanwhile (its consumer went away) never calls back: stop here too.
      const gone = () => {
        body?.on("error", () => {}); // e.g. its open failing now: nobody reads it any more
        body?.destroy();
        reject(new Error("archive closed"));
      };
      if (pack.destroyed) return gone();
      pack.once("close", gone);
      const done = (err?: Error | null) => {
        pack.off("close", gone);
        if (err) reject(err);
        else resolve();
      };
      const e = pack.entry(h, done);
      if (body) pipeline(body, e as unknown as NodeJS.WritableStream).catch(done);
    });
  if (st.isDirectory())
    return add({ ...base, name: name.endsWith("/") ? name : `${name}/`, type: "directory" });
  if (st.isSymbolicLink()) return add({ ...base, type: "symlink", linkname: await readlink(path) });
  if (st.isFile()) {
    if (st.nlink > 1) {
      const first = seen.get(inodeKey(st));
      if (first) return add({ ...base, type: "link", linkname: first, size: 0 });
      seen.set(inodeKey(st), name);
    }
    // O_NOFOLLOW: swapped for a link since lstat, it is not read; O_NONBLOCK: nor a fifo waited on.
    const flags = constants.O_RDONLY | (viaFd ? 0 : constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (st.size <= SMALL_FILE) return addSmall(pack, { ...base, type: "file", size: st.size }, path, flags);
    return add(
      { ...base, type: "file", size: st.size },
      createReadStream(path, { flags: flags as unknown as string }),
    );
  }
  if (st.isFIFO()) return add({ ...base, type: "fifo" });
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

/**
 * lstat on the calling thread (a metadata call, as in apply.ts: a thread-pool
 * round trip per entry costs more than the syscall); undefined if it is gone.
 */
export function lstatQuiet(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Files up to this size are read in one synchronous open/read/close and
 * handed to the packer as a buffer: a tree of many small files (a commit of
 * 10,000) otherwise spends most of its time in five thread-pool round trips
 * and a stream pipeline per file (profiled: ~0.4 ms a file, against µs of
 * syscalls). The bound keeps each blocking read short.
 */
const SMALL_FILE = 64 * 1024;

/** One small file as a tar entry; a file that changed size since its lstat fails the entry, as a stream would. */
function addSmall(
  pack: tar.Pack,
  h: Partial<tar.Header> & { name: string },
  path: string,
  flags: number,
): Promise<void> {
  const fd = openSync(path, flags);
  let body: Buffer;
  try {
    const buf = Buffer.allocUnsafe(h.size ?? 0);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    body = buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
  if (body.length !== h.size)
    return Promise.reject(new Error(`${h.name}: size changed while it was archived`));
  return new Promise<void>((resolve, reject) => {
    if (pack.destroyed) return reject(new Error("archive closed"));
    pack.entry(h, body, (err) => (err ? reject(err) : resolve()));
  });
}

const DIR_FLAGS = O_PATH | O_CLOEXEC | constants.O_NOFOLLOW | constants.O_DIRECTORY;

/** Opens directory `name` in `dirfd` if it is still the directory `st` describes; undefined otherwise. */
export function openDirAt(dirfd: number, name: string, st: Stats): number | undefined {
  let fd: number;
  try {
    fd = openat(dirfd, name, DIR_FLAGS);
  } catch {
    return undefined; // replaced by a link or a file since it was listed
  }
  const now = fstatSync(fd);
  if (now.ino !== st.ino || now.dev !== st.dev) {
    closeFd(fd);
    return undefined;
  }
  return fd;
}

/**
 * A tar of `path` (a directory's tree, or a single file). `path` is lstat'ed
 * and opened without following its last component: pass a trusted host path,
 * `/proc/self/fd/N/<name>`, or `/proc/self/fd/N/.` for a resolved directory.
 */
export function tarDirectory(path: string, opts: TarOptions = {}): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const seen = new Map<string, string>();
  const prefix = opts.prefix ?? "";
  // A consumer that goes away stops the walk, so its directory fds are closed.
  let aborted = false;
  out.once("close", () => {
    aborted = true;
    pack.destroy();
  });
  (async () => {
    const st = opts.viaFd ? await stat(path) : await lstat(path);
    const rootDev = st.dev;
    const walk = async (fd: number, name: string, s: Stats) => {
      if (opts.filter && !opts.filter(name, s)) return;
      if (name !== "") await packEntry(pack, name, `${fdPath(fd)}/.`, s, seen);
      const children = (await readdir(fdPath(fd))).sort();
      for (const c of children) {
        if (aborted) throw new Error("archive consumer went away");
        const cname = name ? `${name}/${c}` : c;
        const over = opts.mountAt?.(cname);
        if (over !== undefined) {
          const os = fstatSync(over);
          if (os.isDirectory()) {
            const dup = dupFd(over);
            try {
              await walk(dup, cname, os);
            } finally {
              closeFd(dup);
            }
          } else await packEntry(pack, cname, fdPath(over), os, seen, true);
          continue;
        }
        const cpath = fdPath(fd, c);
        const cs = lstatQuiet(cpath);
        if (!cs) continue; // removed since it was listed
        if (!cs.isDirectory() || (opts.excludeMounts && cs.dev !== rootDev)) {
          // A mount point inside the root (export): the empty dir, not its content.
          if (opts.filter && !opts.filter(cname, cs)) continue;
          await packEntry(pack, cname, cpath, cs, seen);
          continue;
        }
        const cfd = openDirAt(fd, c, cs);
        if (cfd === undefined) continue;
        try {
          await walk(cfd, cname, cs);
        } finally {
          closeFd(cfd);
        }
      }
    };
    if (!st.isDirectory()) {
      await packEntry(pack, prefix || posix.basename(path), path, st, seen, opts.viaFd);
    } else {
      const fd = openat(-100, path, DIR_FLAGS);
      try {
        if (fstatSync(fd).ino !== st.ino) throw new Error(`${path} changed while it was opened`);
        // "dir/." (prefix ".") copies contents; the "./" entry names the directory itself.
        await walk(fd, prefix, st);
      } finally {
        closeFd(fd);
      }
    }
    pack.finalize();
  })()
    .catch((err) => pack.destroy(err))
    .finally(() => opts.release?.());
  // pipeline, not pipe(): an error of the walk reaches the consumer, and a consumer gone destroys the pack.
  return piped(pack as unknown as Readable, [out]);
}

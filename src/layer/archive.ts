/**
 * Directory -> tar stream (export, cp, commit). Deterministic order,
 * ownership, modes, mtimes, symlinks, hardlinks (by inode), devices, fifos
 * and xattrs (PAX SCHILY.xattr.*). Never follows symlinks.
 */

import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { lgetxattr, llistxattr } from "../sys/libc.js";
import { containerGid, containerUid } from "../util/idmap.js";

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
    if (n.startsWith("trusted.overlay.")) continue; // overlay internals never travel
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
      if (!body) {
        pack.entry(h, (err) => (err ? reject(err) : resolve()));
        return;
      }
      const e = pack.entry(h, (err) => (err ? reject(err) : resolve()));
      pipeline(body, e as unknown as NodeJS.WritableStream).catch(reject);
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
    return add({ ...base, type: "file", size: st.size }, createReadStream(path));
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

/** A tar of `path` (a directory's tree, or a single file). */
export function tarDirectory(path: string, opts: TarOptions = {}): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const seen = new Map<string, string>();
  const prefix = opts.prefix ?? "";
  (async () => {
    const st = await lstat(path);
    const rootDev = st.dev;
    const walk = async (abs: string, name: string, s: Stats) => {
      if (opts.filter && !opts.filter(name, s)) return;
      if (name !== "") await packEntry(pack, name, abs, s, seen);
      if (!s.isDirectory()) return;
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
    } else {
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

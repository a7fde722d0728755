/**
 * A container's changes, read from its overlay upper dir:
 *   changes()  -> `docker diff` (A added, C changed, D deleted)
 *   diffTar()  -> a layer tar for commit/build, whiteouts as `.wh.` entries
 * In the upper dir a whiteout is a char device 0:0 and an opaque directory
 * carries trusted.overlay.opaque=y.
 */
import type { Stats } from "node:fs";
import { readdir } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import tar from "tar-stream";
import { lgetxattr } from "../sys/libc.js";
import { piped } from "../util/stream.js";
import { lstatQuiet, openDirAt, packEntry } from "./archive.js";
import { opaqueXattr } from "./overlayxattr.js";
import { closeFd, fdPath, openBeneath, openTree } from "./securejoin.js";

export interface Change {
  kind: "A" | "C" | "D";
  path: string;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(path: string): boolean {
  return lgetxattr(path, opaqueXattr())?.toString() === "y";
}

/** Whether a lower layer has `rel`, looked up as overlayfs does: no link followed on the way. */
async function existsInLowers(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) {
    const fd = openBeneath(l, rel);
    if (fd !== undefined) {
      closeFd(fd);
      return true;
    }
  }
  return false;
}

/**
 * Walks the upper dir in sorted order, calling `visit` for every entry below
 * it. A running container writes there: each directory is opened from its
 * parent's fd and entries are reached through it (layer/archive.ts), so a
 * directory swapped for a link never leads the walk (and a commit) onto the host.
 * `abs` is `/proc/self/fd/N/.` for a directory, `/proc/self/fd/N/<name>` otherwise.
 */
async function walkUpper(upper: string, visit: (rel: string, abs: string, st: Stats) => Promise<unknown>) {
  const walk = async (fd: number, rel: string) => {
    for (const name of (await readdir(fdPath(fd))).sort()) {
      const crel = rel ? `${rel}/${name}` : name;
      const st = lstatQuiet(fdPath(fd, name));
      if (!st) continue;
      if (!st.isDirectory()) {
        await visit(crel, fdPath(fd, name), st);
        continue;
      }
      const cfd = openDirAt(fd, name, st);
      if (cfd === undefined) continue;
      try {
        if ((await visit(crel, `${fdPath(cfd)}/.`, st)) !== false) await walk(cfd, crel);
      } finally {
        closeFd(cfd);
      }
    }
  };
  const root = openTree(upper);
  try {
    await walk(root, "");
  } finally {
    closeFd(root);
  }
}

export async function changes(upper: string, lowers: string[]): Promise<Change[]> {
  const out: Change[] = [];
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
      const hidden = new Set<string>();
      for (const l of lowers) {
        const fd = openBeneath(l, rel);
        if (fd === undefined) continue; // the dir is not in this layer
        try {
          for (const n of await readdir(fdPath(fd))) if (!upperNames.has(n)) hidden.add(n);
        } catch {
          // not a directory in this layer
        } finally {
          closeFd(fd);
        }
      }
      for (const n of [...hidden].sort()) out.push({ kind: "D", path: `${path}/${n}` });
      return;
    }
    out.push({ kind: "C", path });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The layer tar of an upper dir: whiteouts as `.wh.<name>`, opaque dirs with `.wh..wh..opq`. */
export function diffTar(upper: string, _lowers: string[] = []): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const seen = new Map<string, string>();
  (async () => {
    await walkUpper(upper, async (rel, abs, st) => {
      if (isWhiteout(st)) {
        const wh = posix.join(posix.dirname(rel), `.wh.${posix.basename(rel)}`);
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: wh, type: "file", size: 0, mode: 0o600, mtime: st.mtime }, "", (err) =>
            err ? reject(err) : resolve(),
          ),
        );
        return;
      }
      await packEntry(pack, rel, abs, st, seen);
      if (st.isDirectory() && isOpaque(abs)) {
        await new Promise<void>((resolve, reject) =>
          pack.entry(
            { name: `${rel}/.wh..wh..opq`, type: "file", size: 0, mode: 0o600, mtime: st.mtime },
            "",
            (err) => (err ? reject(err) : resolve()),
          ),
        );
      }
    });
    pack.finalize();
  })().catch((err) => pack.destroy(err));
  // A consumer that gives up (e.g. ENOSPC storing the layer) ends the walk and its open file: pipeline
  // destroys the pack when `out` closes early, and a failed walk errors `out`.
  return piped(pack as unknown as Readable, [out]);
}

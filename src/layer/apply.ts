/**
 * Applies a layer tar to a directory, overlayfs-style, safely.
 *
 * Layer rules (OCI image-spec): `.wh.<name>` deletes <name> from lower
 * layers -> an overlay whiteout (char device 0:0); `.wh..wh..opq` hides the
 * lower contents of its directory -> xattr trusted.overlay.opaque=y.
 *
 * Safety: every entry path is made relative to the target (absolute paths are
 * re-rooted, `..` may not climb out), and no entry is written through a
 * symlink: each parent directory is opened from the target's fd one component
 * at a time with O_NOFOLLOW|O_DIRECTORY, and the entry is made through that
 * fd (`/proc/self/fd/N/<name>`, with calls that never follow `<name>`), so a
 * tree that changes under us (a running container, `docker cp`) cannot
 * redirect a write onto the host. Hardlink targets obey the same rules. A hostile tar gets a clear
 * InvalidParameter error naming the entry; on error the caller removes the
 * target directory (a half-applied layer is never used).
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import {
  closeFd,
  lsetxattr,
  mknod,
  O_CLOEXEC,
  O_PATH,
  openat,
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
  setxattr,
} from "../sys/libc.js";
import { invalid, isErrno, withPath } from "../util/errors.js";
import { hostGid, hostUid, remap } from "../util/idmap.js";
import { chmodAt, DirFds, existing, type FollowLink, type MountAt, removeExisting } from "./dirfds.js";
import { isOverlayXattr, opaqueXattr } from "./overlayxattr.js";
import { fdPath } from "./securejoin.js";

export type { FollowLink, MountAt } from "./dirfds.js";

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";

export interface ApplyOptions {
  /** Convert .wh. entries to overlay whiteouts (layers). Off for `docker cp`. */
  whiteouts?: boolean;
  /** Refuse to replace a directory with a non-directory or the reverse (docker cp's flag). */
  noOverwriteDirNonDir?: boolean;
  /** Keep uid/gid from the tar (true for layers). */
  preserveOwners?: boolean;
  /** Leave the target directory's own metadata alone (it exists already: docker cp). */
  keepRoot?: boolean;
  /** What is overlaid on the target's directories (a stopped container's volumes). */
  mountAt?: MountAt;
  /** Every entry belongs to this owner (container ids; docker cp -a with a container user). */
  chownTo?: { uid: number; gid: number };
  /** Directories reached through a symlink are resolved by this (docker cp) instead of refused. */
  followLink?: FollowLink;
}

/** Normalizes an entry name to a safe relative path ("" for the root itself). */
export function safeRelative(name: string): string {
  const clean = posix.normalize(`/${name}`).replace(/^\/+/, "").replace(/\/+$/, "");
  // posix.normalize of "/..." can't climb above "/", but check the raw name so errors are explicit.
  const raw = posix.normalize(name.replace(/^\/+/, ""));
  if (raw === ".." || raw.startsWith("../"))
    throw invalid(`layer entry ${JSON.stringify(name)}: path escapes the layer`);
  return clean === "." ? "" : clean;
}

/*
 * Metadata calls below are synchronous on purpose: a layer has thousands of
 * small entries, and a round trip through libuv's thread pool per call made
 * extraction ~10x slower than the syscalls themselves.
 */

interface DirTimes {
  rel: string;
  mtime: Date;
}

interface ExtractState {
  /** Directory mtimes, set last (writing their children changes them). */
  dirTimes: DirTimes[];
  /** Directories already opened, as real directories inside the target. */
  dirs: DirFds;
}

/** Applies a layer (whiteouts converted); returns the bytes of regular file content written. */
export function applyLayer(input: Readable, dir: string): Promise<{ size: number }> {
  return extract(input, dir, { whiteouts: true, preserveOwners: true });
}

/**
 * Extracts a plain archive into an existing directory (docker cp, ADD of a
 * local tar). `dir` may be `/proc/self/fd/N` (a directory resolved inside an
 * untrusted tree); an existing directory's own metadata is left alone, as
 * Docker's Unpack skips the "." entry over an existing directory.
 */
export function extractArchive(
  input: Readable,
  dir: string,
  opts: {
    noOverwriteDirNonDir?: boolean;
    preserveOwners?: boolean;
    mountAt?: MountAt;
    chownTo?: { uid: number; gid: number };
    followLink?: FollowLink;
  } = {},
): Promise<{ size: number }> {
  return extract(input, dir, {
    whiteouts: false,
    noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
    preserveOwners: opts.preserveOwners ?? true,
    keepRoot: true,
    mountAt: opts.mountAt,
    chownTo: opts.chownTo,
    followLink: opts.followLink,
  });
}

async function extract(input: Readable, dir: string, opts: ApplyOptions): Promise<{ size: number }> {
  const ex = tar.extract();
  let size = 0;
  const root = openat(-100, dir, O_PATH | O_CLOEXEC | constants.O_DIRECTORY);
  const state: ExtractState = { dirTimes: [], dirs: new DirFds(root, opts.mountAt, opts.followLink) };
  try {
    const work = (async () => {
      for await (const entry of ex) {
        const h = entry.header;
        try {
          size += await applyEntry(h, entry as unknown as Readable, opts, state);
        } catch (err) {
          throw withPath(err, posix.join(dir, h.name));
        } finally {
          entry.resume();
        }
      }
    })();
    // Both settle before the fds are closed: an entry being applied never sees them reused.
    const settled = await Promise.allSettled([pipeline(input, ex as unknown as NodeJS.WritableStream), work]);
    // An entry's own error says more than the premature close it causes upstream.
    for (const r of [settled[1], settled[0]])
      if (r.status === "rejected") {
        // Nothing reads the rest: end the source too, so no file or process stays open.
        input.destroy();
        (ex as unknown as Readable).destroy();
        throw r.reason;
      }
    // Directory mtimes last: writing their children changed them.
    for (const d of state.dirTimes.reverse()) {
      try {
        const fd = state.dirs.get(d.rel, d.rel, false);
        utimesSync(fdPath(fd), d.mtime, d.mtime);
      } catch {
        // removed or replaced by a later entry
      }
    }
  } finally {
    state.dirs.clear();
    closeFd(root);
  }
  return { size };
}

async function applyEntry(
  h: tar.Header,
  body: Readable,
  opts: ApplyOptions,
  state: ExtractState,
): Promise<number> {
  const { dirs } = state;
  dirs.trim();
  const rel = safeRelative(h.name);
  const base = posix.basename(rel);
  const parentRel = posix.dirname(rel) === "." ? "" : posix.dirname(rel);
  if (opts.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
    const parent = dirs.get(parentRel, h.name);
    if (base === OPAQUE) {
      setxattr(fdPath(parent), opaqueXattr(), Buffer.from("y"));
      return 0;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return 0; // aufs metadata
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === "" || victim === "." || victim === "..")
      throw invalid(`layer entry ${JSON.stringify(h.name)}: invalid whiteout`);
    removeExisting(dirs, parent, parentRel ? `${parentRel}/${victim}` : victim, false);
    mknod(fdPath(parent, victim), S_IFCHR | 0o000, 0, 0);
    return 0;
  }
  if (rel === "") {
    // The root entry: only its metadata matters, and not over an existing directory (cp).
    if (h.type === "directory" && !opts.keepRoot) setDirMeta(dirs.root, "", h, opts, state);
    return 0;
  }
  const parent = dirs.get(parentRel, h.name);
  const path = fdPath(parent, base);
  const mode = (h.mode ?? 0o644) & 0o7777;
  switch (h.type) {
    case "directory": {
      // Checked before anything is removed, as Docker's Unpack does.
      if (opts.noOverwriteDirNonDir && existing(path) === "other")
        throw invalid(`cannot overwrite non-directory ${rel} with directory`);
      const was = removeExisting(dirs, parent, rel, true);
      if (was !== "dir") mkdirSync(path, { mode: 0o700 });
      setDirMeta(dirs.get(rel, h.name), rel, h, opts, state);
      return 0;
    }
    case "file":
    case "contiguous-file": {
      // A file something is mounted on (/etc/hosts & co) is rewritten in place, never replaced.
      const over = opts.mountAt?.(rel);
      if (over) {
        if (!over.rw) throw invalid("mounted volume is marked read-only");
        await writeFileFrom(body, fdPath(over.fd), constants.O_WRONLY | constants.O_TRUNC);
        return h.size ?? 0;
      }
      if (opts.noOverwriteDirNonDir && existing(path) === "dir")
        throw invalid(`cannot overwrite directory ${rel} with non-directory`);
      try {
        removeExisting(dirs, parent, rel, false);
      } catch (err) {
        if (!isErrno(err, "EBUSY")) throw err;
        // A mount point (a running container's bind-mounted file): O_NOFOLLOW, then in place.
        await writeFileFrom(body, path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
        return h.size ?? 0;
      }
      await writeFileFrom(body, path);
      setMeta(parent, base, h, opts, false);
      return h.size ?? 0;
    }
    case "symlink": {
      removeExisting(dirs, parent, rel, false);
      symlinkSync(h.linkname ?? "", path);
      setMeta(parent, base, h, opts, true);
      return 0;
    }
    case "link": {
      const targetRel = safeRelative(h.linkname ?? "");
      if (targetRel === "")
        throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to the layer root`);
      const tdir = posix.dirname(targetRel) === "." ? "" : posix.dirname(targetRel);
      const target = fdPath(dirs.get(tdir, h.name), posix.basename(targetRel));
      const st = lstatSync(target, { throwIfNoEntry: false });
      if (!st)
        throw invalid(
          `layer entry ${JSON.stringify(h.name)}: hardlink target ${h.linkname} not found in the layer`,
        );
      if (st.isDirectory()) throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to a directory`);
      removeExisting(dirs, parent, rel, false);
      // link(2) never follows its source: a symlink target is linked as the symlink.
      linkSync(fdPath(dirs.get(tdir, h.name), posix.basename(targetRel)), path);
      return 0;
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      removeExisting(dirs, parent, rel, false);
      const kind = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
      mknod(path, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
      setMeta(parent, base, h, opts, false);
      return 0;
    }
    default:
      // pax/gnu headers are folded in by tar-stream; anything else (sockets) is skipped.
      return 0;
  }
}

/** Owner, mode and xattrs of `name` in `dirfd` (never through a symlink), then its mtime. */
function setMeta(dirfd: number, name: string, h: tar.Header, opts: ApplyOptions, isLink: boolean): void {
  const path = fdPath(dirfd, name);
  // Ownership is stored in the host's id space (shifted under userns-remap);
  // entries that don't keep their owners belong to the container's root.
  const [uid, gid] = owner(h, opts);
  if (opts.preserveOwners || opts.chownTo || remap()) lchownSync(path, uid, gid);
  // chmod after chown: chown clears setuid/setgid bits.
  if (!isLink) chmodAt(dirfd, name, (h.mode ?? 0o644) & 0o7777);
  setXattrs(path, h, lsetxattr);
  const mtime = h.mtime ?? new Date(0);
  try {
    lutimesSync(path, mtime, mtime);
  } catch {
    // e.g. a symlink on a filesystem without lutimes: the time is cosmetic
  }
}

/** The host ids an entry gets: the tar's, a forced owner's, or the container root's. */
function owner(h: tar.Header, opts: ApplyOptions): [number, number] {
  if (opts.chownTo) return [hostUid(opts.chownTo.uid), hostGid(opts.chownTo.gid)];
  if (opts.preserveOwners) return [hostUid(h.uid ?? 0), hostGid(h.gid ?? 0)];
  return [hostUid(0), hostGid(0)];
}

/** A directory's metadata through its own fd (the magic link leads to the directory itself). */
function setDirMeta(fd: number, rel: string, h: tar.Header, opts: ApplyOptions, state: ExtractState): void {
  const path = fdPath(fd);
  const [uid, gid] = owner(h, opts);
  if (opts.preserveOwners || opts.chownTo || remap()) chownSync(path, uid, gid);
  chmodSync(path, (h.mode ?? 0o755) & 0o7777);
  setXattrs(path, h, setxattr);
  state.dirTimes.push({ rel, mtime: h.mtime ?? new Date(0) });
}

function setXattrs(path: string, h: tar.Header, set: (p: string, n: string, v: Uint8Array) => void): void {
  for (const [k, v] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
    if (!k.startsWith("SCHILY.xattr.")) continue;
    const name = k.slice("SCHILY.xattr.".length);
    if (isOverlayXattr(name)) continue; // a layer must not forge overlay metadata
    try {
      set(path, name, Buffer.from(v, "latin1"));
    } catch {
      // e.g. trusted.* on a filesystem without support: keep going, like Docker
    }
  }
}

/** Writes an entry's body to a new file (never through an existing one: O_EXCL), or with `flags`. */
async function writeFileFrom(body: Readable, path: string, flags?: number): Promise<void> {
  const fd = openSync(path, flags ?? "wx", 0o600);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The directories of an extraction target reached through fds (layer/apply.ts):
 * each opened from its parent's fd with O_NOFOLLOW|O_DIRECTORY, so nothing is
 * ever written through a symlink, with what is overlaid on the target (a
 * stopped container's volumes) and, for docker cp, links followed inside the
 * container's root by the caller. Removal and chmod never follow a link either.
 */
import {
  chmodSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  unlinkSync,
} from "node:fs";
import { posix } from "node:path";
import { closeFd, dupFd, O_CLOEXEC, O_PATH, openat, type SyscallError } from "../sys/libc.js";
import { invalid, isErrno } from "../util/errors.js";
import { fdPath } from "./securejoin.js";

/**
 * Resolves directory `rel` (below the extraction dir) whose path holds a
 * symlink, inside the container's root as Docker's chrooted untar would,
 * making missing directories; returns an O_PATH fd the extractor closes.
 */
export type FollowLink = (rel: string) => number;

/** The fd (owned by the caller) and writability of what is mounted at `rel`, if anything. */
export type MountAt = (rel: string) => { fd: number; rw: boolean } | undefined;

/**
 * O_PATH fds of the target's directories by relative path ("" = the target),
 * each opened from its parent's fd with O_NOFOLLOW|O_DIRECTORY. Closed by `close()`.
 */
export class DirFds {
  private readonly fds = new Map<string, number>();
  constructor(
    readonly root: number,
    private readonly mountAt?: MountAt,
    private readonly followLink?: FollowLink,
  ) {}

  /**
   * The fd of directory `rel`, created (0755) when missing. Through a symlink:
   * InvalidParameter, or (docker cp) the link resolved by `followLink`.
   */
  get(rel: string, entryName: string, create = true): number {
    if (rel === "" || rel === ".") return this.root;
    const hit = this.fds.get(rel);
    if (hit !== undefined) return hit;
    const parent = this.get(posix.dirname(rel) === "." ? "" : posix.dirname(rel), entryName, create);
    const name = posix.basename(rel);
    const flags = O_PATH | O_CLOEXEC | constants.O_NOFOLLOW | constants.O_DIRECTORY;
    let fd: number;
    try {
      fd = openat(parent, name, flags);
    } catch (err) {
      const code = (err as SyscallError).code;
      if (code === "ENOENT" && create) {
        try {
          mkdirSync(fdPath(parent, name), { mode: 0o755 });
        } catch (e) {
          if (!isErrno(e, "EEXIST")) throw e;
        }
        return this.get(rel, entryName, create);
      }
      if (code === "ENOTDIR" || code === "ELOOP") {
        const st = lstatSync(fdPath(parent, name), { throwIfNoEntry: false });
        if (st?.isSymbolicLink() && this.followLink) {
          const linked = this.followLink(rel);
          this.fds.set(rel, linked);
          return linked;
        }
        throw invalid(
          st?.isSymbolicLink()
            ? `layer entry ${JSON.stringify(entryName)}: path escapes through symlink ${rel}`
            : `layer entry ${JSON.stringify(entryName)}: ${rel} is not a directory`,
        );
      }
      throw err;
    }
    const m = this.mountAt?.(rel);
    if (m) {
      closeFd(fd);
      if (!m.rw) throw invalid("mounted volume is marked read-only");
      fd = dupFd(m.fd);
    }
    this.fds.set(rel, fd);
    return fd;
  }

  /** Forgets (closes) `rel` and everything below it (it was removed). */
  forget(rel: string): void {
    for (const [k, fd] of this.fds)
      if (k === rel || k.startsWith(`${rel}/`)) {
        closeFd(fd);
        this.fds.delete(k);
      }
  }

  /** Bounds the open fds; called between entries only (an entry's fds stay valid while it is applied). */
  trim(): void {
    if (this.fds.size >= 512) this.clear();
  }

  clear(): void {
    for (const fd of this.fds.values()) closeFd(fd);
    this.fds.clear();
  }
}

/** Removes `name` in directory `dirfd` (recursively), never following a link. */
export function removeAt(dirfd: number, name: string): void {
  const path = fdPath(dirfd, name);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    let fd: number | undefined;
    try {
      fd = openat(dirfd, name, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW | constants.O_DIRECTORY);
    } catch {
      // swapped for a non-directory meanwhile: unlink it below
    }
    if (fd !== undefined) {
      try {
        for (const child of readdirSync(fdPath(fd))) removeAt(fd, child);
      } finally {
        closeFd(fd);
      }
      rmdirSync(path);
      return;
    }
  }
  unlinkSync(path);
}

/** chmod of `name` in `dirfd` unless it is a symlink (checked on the fd chmod then goes through). */
export function chmodAt(dirfd: number, name: string, mode: number): void {
  const fd = openat(dirfd, name, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isSymbolicLink()) chmodSync(fdPath(fd), mode);
  } finally {
    closeFd(fd);
  }
}

/** What is at `path` (never followed). */
export function existing(path: string): "dir" | "none" | "other" {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return !st ? "none" : st.isDirectory() ? "dir" : "other";
}

export function removeExisting(
  dirs: DirFds,
  parent: number,
  rel: string,
  keepDir: boolean,
): "dir" | "none" | "other" {
  const st = lstatSync(fdPath(parent, posix.basename(rel)), { throwIfNoEntry: false });
  if (!st) return "none";
  if (st.isDirectory() && keepDir) return "dir";
  // Directories under what is removed are no longer known to be safe.
  dirs.forget(rel);
  removeAt(parent, posix.basename(rel));
  return st.isDirectory() ? "dir" : "other";
}

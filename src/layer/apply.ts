/**
 * Applies a layer tar to a directory, overlayfs-style, safely.
 *
 * Layer rules (OCI image-spec): `.wh.<name>` deletes <name> from lower
 * layers -> an overlay whiteout (char device 0:0); `.wh..wh..opq` hides the
 * lower contents of its directory -> xattr trusted.overlay.opaque=y.
 *
 * Safety: every entry path is made relative to the target (absolute paths are
 * re-rooted, `..` may not climb out), and no entry is written through a
 * symlink: each parent component must be a real directory inside the target.
 * Hardlink targets obey the same rules. A hostile tar gets a clear
 * InvalidParameter error naming the entry; on error the caller removes the
 * target directory (a half-applied layer is never used).
 */
import { createWriteStream } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from "node:fs/promises";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../sys/libc.js";
import { invalid, isErrno } from "../util/errors.js";
import { hostGid, hostUid, remap } from "../util/idmap.js";

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";

export interface ApplyOptions {
  /** Convert .wh. entries to overlay whiteouts (layers). Off for `docker cp`. */
  whiteouts?: boolean;
  /** Refuse to replace a directory with a non-directory or the reverse (docker cp's flag). */
  noOverwriteDirNonDir?: boolean;
  /** Keep uid/gid from the tar (true for layers). */
  preserveOwners?: boolean;
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

/** Ensures every component of `rel`'s parent is a real directory under root (creating missing ones). */
async function ensureParent(root: string, rel: string, entryName: string): Promise<void> {
  const parts = posix
    .dirname(rel)
    .split("/")
    .filter((p) => p && p !== ".");
  let cur = root;
  for (const p of parts) {
    cur = posix.join(cur, p);
    try {
      const st = await lstat(cur);
      if (st.isSymbolicLink()) {
        throw invalid(
          `layer entry ${JSON.stringify(entryName)}: path escapes through symlink ${posix.relative(root, cur)}`,
        );
      }
      if (!st.isDirectory())
        throw invalid(
          `layer entry ${JSON.stringify(entryName)}: ${posix.relative(root, cur)} is not a directory`,
        );
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err;
      await mkdir(cur, { mode: 0o755 });
    }
  }
}

async function removeExisting(path: string, keepDir: boolean): Promise<"dir" | "none" | "other"> {
  try {
    const st = await lstat(path);
    if (st.isDirectory() && keepDir) return "dir";
    await rm(path, { recursive: true, force: true });
    return st.isDirectory() ? "dir" : "other";
  } catch (err) {
    if (isErrno(err, "ENOENT")) return "none";
    throw err;
  }
}

interface DirTimes {
  path: string;
  mtime: Date;
}

/** Applies a layer (whiteouts converted); returns the bytes of regular file content written. */
export function applyLayer(input: Readable, dir: string): Promise<{ size: number }> {
  return extract(input, dir, { whiteouts: true, preserveOwners: true });
}

/** Extracts a plain archive into an existing directory (docker cp, ADD of a local tar). */
export function extractArchive(
  input: Readable,
  dir: string,
  opts: { noOverwriteDirNonDir?: boolean; preserveOwners?: boolean; root?: string } = {},
): Promise<{ size: number }> {
  return extract(input, dir, {
    whiteouts: false,
    noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
    preserveOwners: opts.preserveOwners ?? true,
  });
}

async function extract(input: Readable, dir: string, opts: ApplyOptions): Promise<{ size: number }> {
  const ex = tar.extract();
  let size = 0;
  const dirTimes: DirTimes[] = [];
  const work = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      try {
        size += await applyEntry(dir, h, entry as unknown as Readable, opts, dirTimes);
      } finally {
        entry.resume();
      }
    }
  })();
  await Promise.all([pipeline(input, ex as unknown as NodeJS.WritableStream), work]);
  // Directory mtimes last: writing their children changed them.
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  return { size };
}

async function applyEntry(
  root: string,
  h: tar.Header,
  body: Readable,
  opts: ApplyOptions,
  dirTimes: DirTimes[],
): Promise<number> {
  const rel = safeRelative(h.name);
  const base = posix.basename(rel);
  if (opts.whiteouts && base.startsWith(WHITEOUT_PREFIX)) {
    await ensureParent(root, rel, h.name);
    const parent = posix.join(root, posix.dirname(rel));
    if (base === OPAQUE) {
      lsetxattr(parent, "trusted.overlay.opaque", Buffer.from("y"));
      return 0;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return 0; // aufs metadata
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === "" || victim === "." || victim === "..")
      throw invalid(`layer entry ${JSON.stringify(h.name)}: invalid whiteout`);
    const target = posix.join(parent, victim);
    await removeExisting(target, false);
    mknod(target, S_IFCHR | 0o000, 0, 0);
    return 0;
  }
  if (rel === "") {
    // The root entry: only its metadata matters.
    if (h.type === "directory") await setMeta(root, h, opts, dirTimes, true);
    return 0;
  }
  await ensureParent(root, rel, h.name);
  const path = posix.join(root, rel);
  const mode = (h.mode ?? 0o644) & 0o7777;
  switch (h.type) {
    case "directory": {
      const was = await removeExisting(path, true);
      if (was === "other" && opts.noOverwriteDirNonDir)
        throw invalid(`cannot overwrite non-directory ${rel} with directory`);
      if (was !== "dir") await mkdir(path, { mode: 0o700 });
      await setMeta(path, h, opts, dirTimes, true);
      return 0;
    }
    case "file":
    case "contiguous-file": {
      const was = await removeExisting(path, false);
      if (was === "dir" && opts.noOverwriteDirNonDir)
        throw invalid(`cannot overwrite directory ${rel} with non-directory`);
      await pipeline(body, createWriteStream(path, { mode: 0o600, flags: "wx" }));
      await setMeta(path, h, opts, dirTimes, false);
      return h.size ?? 0;
    }
    case "symlink": {
      await removeExisting(path, false);
      await symlink(h.linkname ?? "", path);
      await setMeta(path, h, opts, dirTimes, false, true);
      return 0;
    }
    case "link": {
      const targetRel = safeRelative(h.linkname ?? "");
      if (targetRel === "")
        throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to the layer root`);
      await ensureParent(root, targetRel, h.name);
      const target = posix.join(root, targetRel);
      const st = await lstat(target).catch(() => undefined);
      if (!st)
        throw invalid(
          `layer entry ${JSON.stringify(h.name)}: hardlink target ${h.linkname} not found in the layer`,
        );
      if (st.isDirectory()) throw invalid(`layer entry ${JSON.stringify(h.name)}: hardlink to a directory`);
      await removeExisting(path, false);
      await link(target, path);
      return 0;
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      await removeExisting(path, false);
      const kind = h.type === "fifo" ? S_IFIFO : h.type === "block-device" ? S_IFBLK : S_IFCHR;
      mknod(path, kind | mode, h.devmajor ?? 0, h.devminor ?? 0);
      await setMeta(path, h, opts, dirTimes, false);
      return 0;
    }
    default:
      // pax/gnu headers are folded in by tar-stream; anything else (sockets) is skipped.
      return 0;
  }
}

async function setMeta(
  path: string,
  h: tar.Header,
  opts: ApplyOptions,
  dirTimes: DirTimes[],
  isDir: boolean,
  isLink = false,
): Promise<void> {
  // Ownership is stored in the host's id space (shifted under userns-remap);
  // entries that don't keep their owners belong to the container's root.
  if (opts.preserveOwners) await lchown(path, hostUid(h.uid ?? 0), hostGid(h.gid ?? 0));
  else if (remap()) await lchown(path, hostUid(0), hostGid(0));
  // chmod after chown: chown clears setuid/setgid bits.
  if (!isLink) await chmod(path, (h.mode ?? (isDir ? 0o755 : 0o644)) & 0o7777);
  for (const [k, v] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
    if (!k.startsWith("SCHILY.xattr.")) continue;
    const name = k.slice("SCHILY.xattr.".length);
    try {
      lsetxattr(path, name, Buffer.from(v, "latin1"));
    } catch {
      // e.g. trusted.* on a filesystem without support: keep going, like Docker
    }
  }
  const mtime = h.mtime ?? new Date(0);
  if (isDir) dirTimes.push({ path, mtime });
  else await lutimes(path, mtime, mtime).catch(() => {});
}

/**
 * The client half of `docker cp`, as Docker's pkg/archive (copy.go) does it:
 * what the source and destination are (CopyInfo), how the archive is rebased
 * so extracting it in the chosen directory gives `cp`'s semantics
 * (PrepareArchiveCopy, RebaseArchiveEntries), and the archives themselves.
 */
import { lstat, readlink, stat } from "node:fs/promises";
import { posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { tarDirectory } from "../layer/archive.js";
import { CliError } from "./client.js";

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** The name entries take instead of the source's base (a followed link keeps its own name). */
  rebaseName?: string;
}

/** Docker's SplitPathDirEntry: directory and base, a trailing "/." kept as base ".". */
export function splitPathDirEntry(path: string): [string, string] {
  let clean = posix.normalize(path);
  if (clean.length > 1 && clean.endsWith("/")) clean = clean.slice(0, -1);
  if (posix.basename(path) === "." || path.endsWith("/.")) clean = clean === "/" ? "/." : `${clean}/.`;
  return [posix.dirname(clean), posix.basename(clean)];
}

/** Whether a path names a directory by its form: a trailing "/" or "/." */
export function assertsDirectory(path: string): boolean {
  return path.endsWith("/") || path.endsWith("/.") || path === ".";
}

/** Docker's GetRebaseName: keeps the requested form ("/" or "/.") and base name of a followed link. */
export function getRebaseName(path: string, resolved: string): [string, string | undefined] {
  let r = resolved;
  if (path.endsWith("/.") && !r.endsWith("/.")) r += "/.";
  else if (path.endsWith("/") && !r.endsWith("/")) r += "/";
  const base = posix.basename(path.replace(/\/\.?$/, ""));
  const rbase = posix.basename(r.replace(/\/\.?$/, ""));
  return [r, base !== rbase ? base : undefined];
}

/** Docker's CopyInfoSourcePath for a host path (-L follows a link in the last element). */
export async function copyInfoSourcePath(path: string, follow: boolean): Promise<CopyInfo> {
  let p = path;
  let rebaseName: string | undefined;
  if (follow) {
    const st = await lstat(p).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      const target = await readlink(p);
      const resolved = posix.isAbsolute(target) ? target : posix.join(splitPathDirEntry(p)[0], target);
      [p, rebaseName] = getRebaseName(path, resolved);
    }
  }
  const st = await (follow ? stat(p) : lstat(p)).catch(() => undefined);
  if (!st) throw new CliError(`lstat ${posix.resolve(path)}: no such file or directory`);
  return { path: p, exists: true, isDir: st.isDirectory(), rebaseName };
}

/** Docker's CopyInfoDestinationPath for a host path: links in the last element followed (up to 10). */
export async function copyInfoDestinationPath(path: string): Promise<CopyInfo> {
  let p = path;
  for (let i = 0; i < 10; i++) {
    const st = await lstat(p).catch(() => undefined);
    if (!st) {
      // Missing: its parent directory must exist.
      const parent = splitPathDirEntry(p)[0];
      if (!(await stat(parent).catch(() => undefined))?.isDirectory())
        throw new CliError(`lstat ${parent}: no such file or directory`);
      return { path: p, exists: false, isDir: false };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    const target = await readlink(p);
    p = posix.isAbsolute(target) ? target : posix.join(splitPathDirEntry(p)[0], target);
  }
  throw new CliError(`too many symlinks in ${path}`);
}

/** Docker's RebaseArchiveEntries: the first `oldBase` in each name (and hardlink target) becomes `newBase`. */
export function rebaseArchiveEntries(src: NodeJS.ReadableStream, oldBase: string, newBase: string): Readable {
  const from = oldBase === "/" ? "" : oldBase;
  const ex = tar.extract();
  const pack = tar.pack();
  const out = new PassThrough();
  ex.on("entry", (h, stream, next) => {
    h.name = h.name.replace(from, newBase);
    if (h.type === "link" && h.linkname) h.linkname = h.linkname.replace(from, newBase);
    const e = pack.entry(h, next);
    pipeline(stream, e as unknown as NodeJS.WritableStream).catch((err) => pack.destroy(err));
  });
  ex.on("finish", () => pack.finalize());
  pipeline(src, ex).catch((err) => out.destroy(err));
  pipeline(pack as unknown as Readable, out).catch(() => {}); // its error is on `out`
  return out;
}

/**
 * Docker's PrepareArchiveCopy: the directory to extract `content` in, and
 * the archive rebased so it lands as `cp` says. Throws CliError for the
 * table's error rows.
 */
export function prepareArchiveCopy(
  content: NodeJS.ReadableStream,
  src: CopyInfo,
  dst: CopyInfo,
): { dir: string; archive: NodeJS.ReadableStream } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName ?? splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path, archive: content };
  if (dst.exists && src.isDir) throw new CliError("cannot copy directory");
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new CliError("no such directory");
  return { dir: dstDir, archive: rebaseArchiveEntries(content, srcBase, dstBase) };
}

/** Docker's TarResource: an archive of `info.path` whose entries start with its base (or rebase name). */
export function tarResource(info: CopyInfo): Readable {
  const [dir, base] = splitPathDirEntry(info.path);
  const path = base === "." ? `${dir}/.` : posix.join(dir, base);
  return tarDirectory(path, { prefix: info.rebaseName ?? base });
}

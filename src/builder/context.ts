/**
 * The build context: the tar the client sent, unpacked into a private
 * directory, with .dockerignore applied (Docker's semantics through
 * @balena/dockerignore), and COPY/ADD sources resolved inside it only.
 */

import type { Stats } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import ignoreMod from "@balena/dockerignore";
import { extractArchive } from "../layer/apply.js";
import { decompress } from "../layer/compression.js";
import { closeFd, fdPath, openInRoot, openTree, type TreeView } from "../layer/securejoin.js";
import type { SyscallError } from "../sys/libc.js";
import { invalid } from "../util/errors.js";

// A static import (not createRequire) so that the installed bundle carries it too.
const dockerignore = ((ignoreMod as unknown as { default?: unknown }).default ?? ignoreMod) as (
  o?: object,
) => {
  add(p: string[] | string): unknown;
  ignores(p: string): boolean;
};

export interface BuildContext {
  dir: string;
  /** O_PATH fd of `dir`: sources are resolved inside it (closed by cleanup). */
  fd: number;
  ignored(rel: string): boolean;
  cleanup(): Promise<void>;
}

/**
 * The docker CLI (28.x) sends `-f -` and `-f <outside the context>` contexts
 * without the tar's last padding and end-of-archive blocks (its tar wrapper
 * closes the pipe before the tar writer). Zeros after the stream complete such
 * an archive (up to the next 512-byte block, then two empty blocks) and are
 * read as empty blocks after a proper one.
 */
function withEndOfArchive(tarStream: Readable): Readable {
  return Readable.from(
    (async function* () {
      let total = 0;
      for await (const chunk of tarStream as AsyncIterable<Buffer>) {
        total += chunk.length;
        yield chunk;
      }
      yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
    })(),
  );
}

/** Unpacks a context tar (`docker build DIR` or a tarball URL) into a private directory. */
export async function openContext(tmpRoot: string, body: Readable): Promise<BuildContext> {
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(tmpRoot, "build-"));
  try {
    await extractArchive(withEndOfArchive(await decompress(body)), dir, { preserveOwners: false });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return contextOf(dir, () => rm(dir, { recursive: true, force: true }));
}

/**
 * A context already on disk (an unpacked tar or a git checkout); `cleanup`
 * removes it. Its .dockerignore is read inside it (a link never leads out).
 */
export async function contextOf(dir: string, cleanup: () => Promise<void>): Promise<BuildContext> {
  const fd = openTree(dir);
  const rules = await readInTree(fd, ".dockerignore").catch(() => "");
  const ig = dockerignore({ ignorecase: false });
  ig.add(
    rules
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.replace(/^\//, "")),
  );
  return {
    dir,
    fd,
    ignored: (rel) => rel !== "" && rel !== "." && ig.ignores(rel),
    cleanup: async () => {
      closeFd(fd);
      await cleanup();
    },
  };
}

/** Go's filepath.Match subset for one path segment pattern. */
function segmentRegex(p: string): RegExp {
  let re = "^";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const j = p.indexOf("]", i);
      re += j > i ? `[${p.slice(i + 1, j).replace(/^!/, "^")}]` : "\\[";
      if (j > i) i = j;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

/**
 * One COPY/ADD source, resolved inside its tree (the context or a stage's
 * root): `path` reaches the object itself (a directory as `/proc/self/fd/N/.`,
 * so its children are `/proc/self/fd/N/<name>`), `st` is its stat (the last
 * symlink followed, inside the tree, as Docker does), `name` is its base name
 * in the pattern, `rel` its path in the tree as named (normalized, "." for
 * the root: what --parents keeps, --exclude and the hash memo match).
 * `close()` releases the fd.
 */
export interface Source {
  path: string;
  name: string;
  rel: string;
  st: Stats;
  close(): void;
}

/**
 * A Source for a file or directory berth made itself (an ADD download, a git
 * checkout): a trusted host path, nothing to resolve or close.
 */
export async function hostSource(path: string): Promise<Source> {
  const name = posix.basename(path);
  return { path, name, rel: name, st: await lstat(path), close: () => {} };
}

/** Opens `rel` inside `tree` as a Source; undefined when it does not exist there. */
export async function openSource(tree: TreeView | number, rel: string): Promise<Source | undefined> {
  let fd: number;
  try {
    fd = openInRoot(tree, rel).fd;
  } catch (err) {
    const code = (err as SyscallError).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") return undefined;
    throw err;
  }
  const st = await stat(fdPath(fd));
  return {
    path: st.isDirectory() ? `${fdPath(fd)}/.` : fdPath(fd),
    name: posix.basename(posix.normalize(`/${rel}`)) || ".",
    rel: posix.normalize(`/${rel}`).slice(1).replace(/\/$/, "") || ".",
    st,
    close: () => closeFd(fd),
  };
}

/** Reads a regular file inside `tree` as UTF-8; throws when it is missing or not a file. */
export async function readInTree(tree: number, rel: string): Promise<string> {
  const s = await openSource(tree, rel);
  if (!s) throw invalid(`${rel}: file does not exist`);
  try {
    if (!s.st.isFile()) throw invalid(`${rel}: not a regular file`);
    return await readFile(s.path, "utf8");
  } finally {
    s.close();
  }
}

/** Lists a directory inside `tree` (every component resolved inside it); [] when it is not one. */
async function listInTree(tree: number, rel: string): Promise<string[]> {
  const s = await openSource(tree, rel);
  if (!s) return [];
  try {
    return s.st.isDirectory() ? await readdir(s.path) : [];
  } finally {
    s.close();
  }
}

/**
 * COPY/ADD sources: paths relative to the context root (a leading / or ../
 * cannot leave it), with glob patterns, minus ignored files. Every component,
 * symlinks included, is resolved inside the context: a link to /etc reaches
 * the context's etc/, never the host's. The caller closes the sources.
 */
export async function resolveSources(
  root: number,
  pattern: string,
  ignored: (rel: string) => boolean,
): Promise<Source[]> {
  const clean = posix.normalize(`/${pattern}`).slice(1);
  if (clean.startsWith("..")) throw invalid(`forbidden path outside the build context: ${pattern}`);
  const notFound = () =>
    invalid(
      `COPY failed: file not found in build context or excluded by .dockerignore: stat ${pattern}: file does not exist`,
    );
  if (!/[*?[]/.test(clean)) {
    const rel = clean === "" ? "." : clean.replace(/\/$/, "");
    if (ignored(rel)) throw notFound();
    const s = await openSource(root, rel);
    if (!s) throw notFound();
    return [s];
  }
  const parts = clean.split("/");
  let found = [""];
  for (const part of parts) {
    const re = segmentRegex(part);
    const next: string[] = [];
    for (const base of found) {
      const entries = await listInTree(root, base || ".");
      for (const e of entries.sort()) if (re.test(e)) next.push(base ? `${base}/${e}` : e);
    }
    found = next;
  }
  found = found.filter((f) => !ignored(f));
  if (found.length === 0) throw invalid(`COPY failed: no source files were specified`);
  const out: Source[] = [];
  for (const f of found) {
    const s = await openSource(root, f);
    if (s) out.push(s);
  }
  return out;
}

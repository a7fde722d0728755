/**
 * The archive API behind `docker cp` (HEAD/GET/PUT /containers/{id}/archive),
 * reading and writing what the container itself sees.
 *
 * - A running (or paused) container is reached through its init process's
 *   root, `/proc/<pid>/root`, opened once: the kernel crosses its volumes,
 *   binds, tmpfs and /etc/{hosts,hostname,resolv.conf} as the container does.
 * - A stopped container is its rootfs with its volumes, binds and generated
 *   /etc files laid over it by berth (layer/securejoin.ts walks them), as
 *   Docker mounts them for the copy; tmpfs mounts have no content then.
 *
 * Every path is resolved inside that root once and used through the fd
 * resolved (layer/securejoin.ts, layer/apply.ts, layer/archive.ts). Docker's
 * daemon/archive.go is the reference for names, errors and the tar layout.
 */
import { existsSync } from "node:fs";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { extractArchive } from "../../layer/apply.js";
import { tarDirectory } from "../../layer/archive.js";
import {
  closeFd,
  fdPath,
  type OverlaidMount,
  openInRoot,
  openTree,
  type Resolved,
  statFd,
  type TreeView,
} from "../../layer/securejoin.js";
import { resolveUser } from "../../runtime/user.js";
import { O_CLOEXEC, O_PATH, openat, readlinkat, type SyscallError } from "../../sys/libc.js";
import { BerthError, invalid, notFound } from "../../util/errors.js";
import { containerPaths } from "./files.js";
import type { ContainerDeps } from "./service.js";
import type { ContainerRecord } from "./types.js";

/** Docker's errors (daemon/archive.go). */
const ErrVolumeReadonly = "mounted volume is marked read-only";
const ErrRootFSReadOnly = "container rootfs is marked read-only";

interface View {
  tree: TreeView;
  /** The host path of the rootfs (stopped containers; for user lookup). */
  rootfs?: string;
  running: boolean;
  close(): Promise<void>;
}

const isLive = (r: ContainerRecord | undefined) =>
  r?.state.Status === "running" || r?.state.Status === "paused";

/** Opens the container's view of its files (see the module comment); the caller closes it. */
async function openView(d: ContainerDeps, rec: ContainerRecord): Promise<View> {
  const pid = rec.state.Pid;
  if (isLive(rec) && pid > 0) {
    let fd: number | undefined;
    try {
      fd = openat(-100, `/proc/${pid}/root`, O_PATH | O_CLOEXEC);
    } catch {
      // exited meanwhile: fall through to the stopped view
    }
    // The pid may have been reused if the container died between the two reads.
    const now = d.store.tryResolve(rec.id);
    if (fd !== undefined && isLive(now) && now?.state.Pid === pid) {
      const root = fd;
      return { tree: { fd: root }, running: true, close: async () => closeFd(root) };
    }
    if (fd !== undefined) closeFd(fd);
  }
  const rootfs = await d.snapshots.mount(rec.id);
  const held: number[] = [];
  const release = async () => {
    for (const f of held) closeFd(f);
    const cur = d.store.tryResolve(rec.id);
    if (!isLive(cur)) await d.snapshots.unmount(rec.id).catch(() => {});
  };
  try {
    const rootFd = openTree(rootfs);
    held.push(rootFd);
    const mounts = new Map<string, OverlaidMount>();
    const tree: TreeView = { fd: rootFd, mounts };
    const p = containerPaths(d.store.containerDir(rec.id));
    const over = [
      ...rec.mounts
        .filter((m) => m.Type !== "tmpfs" && m.Source)
        .map((m) => ({ dst: m.Destination, src: m.Source, rw: m.RW })),
      ...[
        ["/etc/resolv.conf", p.resolvConf],
        ["/etc/hostname", p.hostname],
        ["/etc/hosts", p.hosts],
      ].map(([dst, src]) => ({ dst: dst!, src: src!, rw: true })),
    ].sort((a, b) => a.dst.split("/").length - b.dst.split("/").length);
    for (const m of over) {
      if (!existsSync(m.src)) continue;
      const fd = openat(-100, m.src, O_PATH | O_CLOEXEC);
      held.push(fd);
      // The destination as runc resolves it: inside the root, with the mounts above it.
      let at = posix.normalize(m.dst);
      try {
        const r = openInRoot(tree, m.dst, { walk: true });
        closeFd(r.fd);
        at = r.path ?? at;
      } catch {
        // missing in the image: runc would create it there
      }
      mounts.set(at, { fd, rw: m.rw });
    }
    return { tree, rootfs, running: false, close: release };
  } catch (err) {
    await release();
    throw err;
  }
}

async function withView<T>(d: ContainerDeps, rec: ContainerRecord, fn: (v: View) => Promise<T>): Promise<T> {
  const v = await openView(d, rec);
  try {
    return await fn(v);
  } finally {
    await v.close();
  }
}

/** Docker's archive.PreserveTrailingDotOrSeparator(filepath.Join("/", path), path). */
function absPath(path: string): string {
  let abs = posix.normalize(`/${path}`);
  if (abs.length > 1 && abs.endsWith("/")) abs = abs.slice(0, -1);
  if (path.endsWith("/.") && !abs.endsWith("/.")) abs = abs === "/" ? "/." : `${abs}/.`;
  else if (path.endsWith("/") && !abs.endsWith("/")) abs = `${abs}/`;
  return abs;
}

/** Whether the last element is followed: a trailing "/" or "/." (Docker's ResolvePath). */
const followsLast = (abs: string) => abs.endsWith("/") || abs.endsWith("/.") || abs === "/";

/**
 * Opens `path` in the view: a running container's through openat2 (the kernel
 * crosses its mounts), a stopped one's by the walk over its overlaid mounts
 * (which also gives the canonical path). `canonical` forces the walk.
 */
function resolve(rec: ContainerRecord, v: View, path: string, follow: boolean, canonical = false): Resolved {
  try {
    return openInRoot(v.tree, path, { follow, walk: canonical || !v.running });
  } catch (err) {
    const code = (err as SyscallError).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw notFound(`Could not find the file ${path} in container ${rec.name.replace(/^\//, "")}`);
    if (code === "ELOOP") throw invalid(`too many levels of symbolic links: ${path}`);
    throw err;
  }
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode bits, as X-Docker-Container-Path-Stat carries them. */
function goMode(st: import("node:fs").Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 0x80000000;
  if (st.isSymbolicLink()) m |= 0x8000000;
  if (st.isFIFO()) m |= 0x2000000;
  if (st.isSocket()) m |= 0x1000000;
  if (st.isCharacterDevice()) m |= 0x4000000 | 0x200000;
  if (st.isBlockDevice()) m |= 0x4000000;
  if (st.mode & 0o4000) m |= 0x800000;
  if (st.mode & 0o2000) m |= 0x400000;
  if (st.mode & 0o1000) m |= 0x100000;
  return m >>> 0;
}

/** Stat of `path` in the view; a symlink's linkTarget is its full resolution inside the container. */
function statIn(rec: ContainerRecord, v: View, path: string): PathStat {
  const abs = absPath(path);
  const r = resolve(rec, v, abs, followsLast(abs));
  try {
    const st = statFd(r.fd);
    let linkTarget = "";
    if (st.isSymbolicLink()) {
      try {
        const t = openInRoot(v.tree, abs, { walk: true });
        closeFd(t.fd);
        linkTarget = t.path ?? "";
      } catch {
        linkTarget = posix.resolve(posix.dirname(abs), readlinkat(r.fd)); // dangling
      }
    }
    return {
      name: posix.basename(abs.replace(/\/\.?$/, "")) || "/",
      size: st.size,
      mode: goMode(st),
      mtime: st.mtime.toISOString(),
      linkTarget,
    };
  } finally {
    closeFd(r.fd);
  }
}

export async function statPath(d: ContainerDeps, ref: string, path: string): Promise<PathStat> {
  const rec = d.store.resolve(ref);
  return withView(d, rec, async (v) => statIn(rec, v, path));
}

/** Maps entry names under `prefix` to overlaid mounts below canonical path `at`. */
function mountsBelow(v: View, at: string, prefix: string) {
  const m = v.tree.mounts;
  if (!m?.size) return undefined;
  return (name: string) => {
    const rel = prefix === "" ? name : name.slice(prefix.length + 1);
    return m.get(posix.join(at, rel))?.fd;
  };
}

/**
 * GET /containers/{id}/archive: a tar of `path`. A directory's entries are
 * rebased on the requested name (`/srv` -> `srv/...`, `/srv/.` -> `./...` with
 * a `./` root entry, so the CLI can rebase them); the last element is
 * followed only with a trailing `/` or `/.`, as Docker does.
 */
export async function getArchive(
  d: ContainerDeps,
  ref: string,
  path: string,
): Promise<{ stat: PathStat; tar: Readable }> {
  const rec = d.store.resolve(ref);
  const v = await openView(d, rec);
  let tar: Readable;
  let stat: PathStat;
  try {
    stat = statIn(rec, v, path);
    const abs = absPath(path);
    const base = abs.endsWith("/.") ? "." : posix.basename(abs.replace(/\/$/, "")) || "/";
    const r = resolve(rec, v, abs, followsLast(abs));
    const fds = [r.fd];
    // The walk reads through these fds and the view: both are released when it is over.
    const release = () => {
      for (const fd of fds) closeFd(fd);
      void v.close();
    };
    try {
      const st = statFd(r.fd);
      const at = r.path ?? abs;
      const overlaid = v.tree.mounts?.get(at);
      if (st.isDirectory()) {
        tar = tarDirectory(`${fdPath(r.fd)}/.`, { prefix: base, mountAt: mountsBelow(v, at, base), release });
      } else if (overlaid) {
        tar = tarDirectory(fdPath(overlaid.fd), { prefix: base, viaFd: true, release });
      } else {
        // Reached from its parent, so the entry itself (a link stays a link) is read.
        const parent = resolve(rec, v, posix.dirname(at), true);
        fds.push(parent.fd);
        tar = tarDirectory(fdPath(parent.fd, posix.basename(at)), { prefix: base, release });
      }
    } catch (err) {
      for (const fd of fds) closeFd(fd);
      throw err;
    }
  } catch (err) {
    await v.close();
    throw err;
  }
  return { stat, tar };
}

/** Docker's checkIfPathIsInAVolume + the read-only rootfs check, on the resolved path. */
function checkWritable(rec: ContainerRecord, v: View, r: Resolved, abs: string): void {
  const at = r.path ?? abs;
  let toVolume = false;
  if (!v.running) {
    if (r.mount) {
      if (!r.mount.rw) throw invalid(ErrVolumeReadonly);
      toVolume = true;
    }
  } else {
    for (const m of rec.mounts) {
      const rel = posix.relative(m.Destination, at);
      if (rel === "" || (!rel.startsWith("..") && !posix.isAbsolute(rel))) {
        if (!m.RW) throw invalid(ErrVolumeReadonly);
        toVolume = true;
        break;
      }
    }
  }
  if (!toVolume && rec.hostConfig.ReadonlyRootfs) throw invalid(ErrRootFSReadOnly);
}

/** PUT /containers/{id}/archive: extracts a tar into the directory `path`, which keeps its own metadata. */
export async function putArchive(
  d: ContainerDeps,
  ref: string,
  path: string,
  tar: Readable,
  o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
): Promise<void> {
  const rec = d.store.resolve(ref);
  await withView(d, rec, async (v) => {
    const abs = absPath(path);
    const r = resolve(rec, v, abs, true);
    try {
      if (!statFd(r.fd).isDirectory()) throw invalid("extraction point is not a directory");
      if (v.running) {
        // Docker's volume check wants the resolved path: the walk names it (the kernel's EROFS backs it).
        const named = resolve(rec, v, abs, true, true);
        closeFd(named.fd);
        checkWritable(rec, v, named, abs);
      } else checkWritable(rec, v, r, abs);
      // -a with a configured user: entries belong to that user (Docker's tarCopyOptions).
      let chownTo: { uid: number; gid: number } | undefined;
      if (o.copyUIDGID && rec.config.User) {
        const u = await resolveUser(v.rootfs ?? fdPath(v.tree.fd), rec.config.User);
        chownTo = { uid: u.uid, gid: u.gid };
      }
      const at = r.path ?? abs;
      const m = v.tree.mounts;
      await extractArchive(tar, fdPath(r.fd), {
        noOverwriteDirNonDir: o.noOverwriteDirNonDir,
        chownTo,
        mountAt: m?.size ? (rel) => m.get(posix.join(at, rel)) : undefined,
        // A link on an entry's way (/bin -> usr/bin) is followed inside the container's root,
        // as Docker's untar chrooted there does; never outside it.
        followLink: (rel) => {
          const t = openInRoot(v.tree, posix.join(at, rel), { mkdirs: true });
          if (t.mount && !t.mount.rw) {
            closeFd(t.fd);
            throw invalid(ErrVolumeReadonly);
          }
          if (!statFd(t.fd).isDirectory()) {
            closeFd(t.fd);
            throw invalid(`extraction of ${rel}: not a directory`);
          }
          return t.fd;
        },
      }).catch((err) => {
        if ((err as NodeJS.ErrnoException).code === "EROFS") throw invalid(ErrVolumeReadonly);
        // A body that is not a (gzipped) tar is the client's fault, not a 500; fs errors stay what they are.
        if (err instanceof BerthError || /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code)))
          throw err;
        throw invalid(`the request body is not a readable tar archive: ${(err as Error).message}`, err);
      });
    } finally {
      closeFd(r.fd);
    }
  });
}

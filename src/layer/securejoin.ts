/**
 * Paths inside untrusted trees (a container's rootfs, a build context, an
 * image snapshot, a volume), resolved once and used through the fd resolved.
 *
 * `openInRoot(root, path)` returns an O_PATH fd for `path` as a process
 * chrooted at `root` would see it: absolute symlinks and `..` stop at the
 * root, and a magic link (/proc/self/root and co) is never jumped through
 * (openat2 refuses it, the walk reads it as a plain path inside the root). The kernel does it
 * in one step with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) (Linux
 * >= 5.6); older kernels, and views with mounts laid over the tree by berth
 * (a stopped container's volumes), get the same semantics from a walk of
 * O_PATH|O_NOFOLLOW opens, one component at a time (filepath-securejoin's
 * method). Callers then act on `/proc/self/fd/N` (the object itself) or
 * `/proc/self/fd/N/<name>` with calls that do not follow `name`: never on a
 * re-joined string, so a tree that swaps a directory for a symlink between
 * two steps cannot redirect berth onto the host (CVE-2018-15664's class).
 */
import { constants, fstatSync, mkdirSync, type Stats } from "node:fs";
import {
  closeFd,
  dupFd,
  O_CLOEXEC,
  O_PATH,
  openat,
  openat2,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  readlinkat,
  SyscallError,
} from "../sys/libc.js";

/** Something mounted over the tree at a path (a stopped container's volume or bind). */
export interface OverlaidMount {
  /** O_PATH fd of the mount's source (owned by the view). */
  fd: number;
  rw: boolean;
}

/**
 * A tree to resolve paths in: the fd of its root (owned by the caller) and,
 * for a stopped container, what would be mounted over it, keyed by the
 * canonical (symlink-free) absolute path inside the tree.
 */
export interface TreeView {
  fd: number;
  mounts?: Map<string, OverlaidMount>;
}

/** The path through which a process reaches what `fd` refers to (optionally a name below it). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** An O_PATH fd of a trusted host directory (the root of a tree). */
export function openTree(hostPath: string): number {
  return openat(-100, hostPath, O_PATH | O_CLOEXEC | constants.O_DIRECTORY);
}

export { closeFd };

/** fstat(2) of an fd (works on O_PATH fds). */
export function statFd(fd: number): Stats {
  return fstatSync(fd);
}

export interface ResolveOptions {
  /** Follow a symlink in the last component (default true). */
  follow?: boolean;
  /** Create missing directories (mode 0755) along the way, like `mkdir -p`. */
  mkdirs?: boolean;
  /** Force the component walk (tests exercise the pre-5.6 fallback with it). */
  walk?: boolean;
}

export interface Resolved {
  /** O_PATH fd of the object; the caller closes it. */
  fd: number;
  /** Canonical path inside the tree (walk only; undefined after openat2). */
  path?: string;
  /** The overlaid mount the object lives in, when the view has mounts. */
  mount?: { path: string; rw: boolean };
}

let haveOpenat2: boolean | undefined;
const MAX_LINKS = 40;

/**
 * Opens `path` inside `view` (O_PATH, close-on-exec). Throws SyscallError
 * (ENOENT when a component is missing, ENOTDIR, ELOOP after 40 links).
 */
export function openInRoot(view: TreeView | number, path: string, o: ResolveOptions = {}): Resolved {
  const v = typeof view === "number" ? { fd: view } : view;
  const follow = o.follow ?? true;
  if (!o.walk && !o.mkdirs && !v.mounts?.size && haveOpenat2 !== false) {
    const flags = O_PATH | O_CLOEXEC | (follow ? 0 : constants.O_NOFOLLOW);
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openat2(v.fd, `/${path}`, flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        haveOpenat2 = true;
        return { fd };
      } catch (err) {
        const code = (err as SyscallError).code;
        if (code === "ENOSYS" || code === "EPERM") {
          haveOpenat2 = false; // seccomp'd or pre-5.6 kernel: walk instead
          break;
        }
        if (code === "EAGAIN" && attempt < 16) continue; // a rename raced the lookup
        // ELOOP is also RESOLVE_NO_MAGICLINKS' answer: the walk reads such a link as a plain
        // path inside the root (never as a jump), or fails with ELOOP itself.
        if (code === "ELOOP") break;
        throw err;
      }
    }
  }
  return walkInRoot(v, path, follow, o.mkdirs ?? false);
}

interface Frame {
  fd: number;
  name: string;
  owned: boolean;
}

function split(p: string): string[] {
  return p.split("/").filter((s) => s !== "" && s !== ".");
}

/** The O_PATH|O_NOFOLLOW component walk (filepath-securejoin's algorithm, with overlaid mounts). */
function walkInRoot(v: TreeView, path: string, follow: boolean, mkdirs: boolean): Resolved {
  const stack: Frame[] = [{ fd: v.fd, name: "", owned: false }];
  const top = () => stack[stack.length - 1]!;
  const logical = () =>
    `/${stack
      .slice(1)
      .map((f) => f.name)
      .join("/")}`;
  const release = () => {
    for (const f of stack) if (f.owned) closeFd(f.fd);
  };
  let rest = split(path);
  let links = 0;
  try {
    while (rest.length) {
      const name = rest.shift()!;
      if (name === "..") {
        if (stack.length > 1) {
          const f = stack.pop()!;
          if (f.owned) closeFd(f.fd);
        }
        continue;
      }
      const here = `${logical() === "/" ? "" : logical()}/${name}`;
      const mounted = v.mounts?.get(here);
      let fd: number;
      if (mounted) {
        // What is mounted there hides the tree's entry (which runc creates when missing).
        fd = dupFd(mounted.fd);
      } else {
        try {
          fd = openat(top().fd, name, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW);
        } catch (err) {
          if (!(mkdirs && (err as SyscallError).code === "ENOENT")) throw err;
          mkdirSyncAt(top().fd, name);
          fd = openat(top().fd, name, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW);
        }
      }
      const st = fstatSync(fd);
      if (st.isSymbolicLink() && (rest.length > 0 || follow)) {
        if (++links > MAX_LINKS) {
          closeFd(fd);
          throw new SyscallError("openat", 40 /* ELOOP */, path);
        }
        const target = readlinkat(fd);
        closeFd(fd);
        if (target.startsWith("/")) {
          while (stack.length > 1) {
            const f = stack.pop()!;
            if (f.owned) closeFd(f.fd);
          }
        }
        rest = [...split(target), ...rest];
        continue;
      }
      if (rest.length > 0 && !st.isDirectory()) {
        closeFd(fd);
        throw new SyscallError("openat", 20 /* ENOTDIR */, path);
      }
      stack.push({ fd, name, owned: true });
    }
    const last = stack.pop()!;
    const fd = last.owned ? last.fd : dupFd(last.fd);
    const canon = `/${[...stack.slice(1).map((f) => f.name), ...(last.owned ? [last.name] : [])].join("/")}`;
    return { fd, path: canon, mount: mountOf(v, canon) };
  } finally {
    release();
  }
}

/**
 * An O_PATH fd of `rel` below `dir` reached without following any link (the
 * last one is opened as itself), as overlayfs looks a path up in a lower
 * layer; undefined when it is missing or a link stands in the way.
 */
export function openBeneath(dir: string, rel: string): number | undefined {
  const root = openTree(dir);
  try {
    if (haveOpenat2 !== false) {
      try {
        return openat2(
          root,
          rel,
          O_PATH | O_CLOEXEC | constants.O_NOFOLLOW,
          0,
          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        );
      } catch (err) {
        const code = (err as SyscallError).code;
        if (code !== "ENOSYS" && code !== "EPERM") return undefined;
        haveOpenat2 = false;
      }
    }
    let cur = dupFd(root);
    const parts = split(rel);
    for (let i = 0; i < parts.length; i++) {
      let next: number;
      try {
        if (parts[i] === "..") throw new Error("..");
        next = openat(cur, parts[i]!, O_PATH | O_CLOEXEC | constants.O_NOFOLLOW);
      } catch {
        closeFd(cur);
        return undefined;
      }
      closeFd(cur);
      cur = next;
      if (i < parts.length - 1 && fstatSync(cur).isSymbolicLink()) {
        closeFd(cur);
        return undefined;
      }
    }
    return cur;
  } finally {
    closeFd(root);
  }
}

/** The overlaid mount holding canonical path `p` (the longest destination that is a prefix). */
function mountOf(v: TreeView, p: string): { path: string; rw: boolean } | undefined {
  let best: { path: string; rw: boolean } | undefined;
  for (const [dst, m] of v.mounts ?? []) {
    if ((p === dst || p.startsWith(`${dst}/`)) && (!best || dst.length > best.path.length))
      best = { path: dst, rw: m.rw };
  }
  return best;
}

function mkdirSyncAt(dirfd: number, name: string): void {
  try {
    // mkdir never follows its last component, and the parent is pinned by the fd.
    mkdirSync(fdPath(dirfd, name), { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

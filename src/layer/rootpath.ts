/**
 * The canonical host path of a path inside an untrusted tree, for callers
 * that must hand a path (not an fd) on: a build's RUN --mount bind source,
 * which runc mounts by name, and a git context's `#ref:subdir`. Resolved by layer/securejoin.ts's walk
 * (symlinks followed inside the root, never out of it); the result has no
 * symlink in it at the time of the walk, so it is only safe for trees nobody
 * changes while the path is in use (a build context, an image's view).
 * Everything else opens the path with securejoin's openInRoot and uses the fd.
 */
import { posix } from "node:path";
import { closeFd, openInRoot, openTree } from "./securejoin.js";

/**
 * `root` joined with `path` resolved inside it (the last link followed too).
 * Throws SyscallError (ENOENT when a component is missing, ENOTDIR, ELOOP).
 */
export function canonicalInRoot(root: string, path: string): string {
  const fd = openTree(root);
  try {
    const r = openInRoot(fd, path, { walk: true });
    closeFd(r.fd);
    return posix.join(root, r.path ?? "/");
  } finally {
    closeFd(fd);
  }
}

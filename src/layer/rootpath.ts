/**
 * Paths inside an untrusted tree (an image's or container's root): resolved
 * component by component so no symlink leads outside the root.
 */
import { lstat, readlink } from "node:fs/promises";
import { posix } from "node:path";
import { invalid, isErrno } from "../util/errors.js";

/**
 * Resolves `path` inside `root` following symlinks the way the container
 * would see them (absolute links are relative to root), never leaving root.
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const parts = posix.normalize(`/${path}`).split("/").filter(Boolean);
  let cur = "/";
  let hops = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === "..") {
      cur = posix.dirname(cur);
      continue;
    }
    const next = posix.join(cur, name);
    if (parts.length === 0 && !followLast) return posix.join(root, next);
    let st: import("node:fs").Stats;
    try {
      st = await lstat(posix.join(root, next));
    } catch (err) {
      if (isErrno(err, "ENOENT")) {
        cur = next;
        continue;
      }
      throw err;
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw invalid(`too many levels of symbolic links: ${path}`);
      const link = await readlink(posix.join(root, next));
      const target = link.startsWith("/") ? link : posix.join(cur, link);
      parts.unshift(...posix.normalize(target).split("/").filter(Boolean));
      cur = "/";
      continue;
    }
    cur = next;
  }
  return posix.join(root, cur);
}

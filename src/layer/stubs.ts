/**
 * Mount-point stubs: runc creates an empty file or directory in a
 * container's upper dir for each mount target the image lacks. A build
 * step's secret, cache or tmpfs mount must leave nothing in the layer
 * (BuildKit removes its stubs the same way), so these are deleted before
 * the upper dir is committed: only paths absent from every lower, only
 * while empty, never through a symlink (each parent is opened beneath the
 * upper dir without following links, layer/securejoin.ts, and the stub is
 * removed by name from that fd).
 */
import { lstat, readdir, rm, rmdir } from "node:fs/promises";
import { posix } from "node:path";
import { closeFd, fdPath, openBeneath, openTree, statFd } from "./securejoin.js";

/** Whether `rel` exists in a lower layer (looked up as overlayfs does: no link followed). */
function inLowers(lowers: string[], rel: string): boolean {
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
 * Removes the stubs for `targets` (absolute container paths) and the empty
 * parent directories made for them from `upper`.
 */
export async function scrubMountStubs(upper: string, lowers: string[], targets: string[]): Promise<void> {
  for (const t of targets) {
    const parts = posix.normalize(`/${t}`).split("/").filter(Boolean);
    for (let n = parts.length; n > 0; n--) {
      const rel = parts.slice(0, n).join("/");
      const parentRel = parts.slice(0, n - 1).join("/");
      // No component may be a symlink: the parent is reached beneath upper without following any.
      const parent = parentRel ? openBeneath(upper, parentRel) : openTree(upper);
      if (parent === undefined) break;
      try {
        if (!statFd(parent).isDirectory()) break;
        const p = fdPath(parent, parts[n - 1]!);
        const st = await lstat(p).catch(() => undefined);
        if (!st || inLowers(lowers, rel)) break;
        if (st.isFile() && st.size === 0) await rm(p);
        else if (st.isDirectory() && (await readdir(p)).length === 0) await rmdir(p);
        else break;
      } finally {
        closeFd(parent);
      }
    }
  }
}

/**
 * Mount-point stubs: runc creates an empty file or directory in a
 * container's upper dir for each mount target the image lacks. A build
 * step's secret, cache or tmpfs mount must leave nothing in the layer
 * (BuildKit removes its stubs the same way), so these are deleted before
 * the upper dir is committed: only paths absent from every lower, only
 * while empty, never through a symlink.
 */
import { lstat, readdir, rm, rmdir } from "node:fs/promises";
import { join, posix } from "node:path";

async function inLowers(lowers: string[], rel: string): Promise<boolean> {
  for (const l of lowers) if (await lstat(join(l, rel)).catch(() => undefined)) return true;
  return false;
}

/**
 * Removes the stubs for `targets` (absolute container paths) and the empty
 * parent directories made for them from `upper`.
 */
export async function scrubMountStubs(upper: string, lowers: string[], targets: string[]): Promise<void> {
  for (const t of targets) {
    const parts = posix.normalize(`/${t}`).split("/").filter(Boolean);
    // No component may be a symlink: the walk stays inside upper.
    let ok = true;
    for (let i = 1; i < parts.length; i++) {
      const st = await lstat(join(upper, ...parts.slice(0, i))).catch(() => undefined);
      if (!st) {
        ok = false;
        break;
      }
      if (!st.isDirectory()) ok = false;
    }
    if (!ok) continue;
    for (let n = parts.length; n > 0; n--) {
      const rel = parts.slice(0, n).join("/");
      const p = join(upper, rel);
      const st = await lstat(p).catch(() => undefined);
      if (!st || (await inLowers(lowers, rel))) break;
      if (st.isFile() && st.size === 0) await rm(p);
      else if (st.isDirectory() && (await readdir(p)).length === 0) await rmdir(p);
      else break;
    }
  }
}

/**
 * fuse-overlayfs (Debian's), the rootless fallback where the kernel refuses
 * overlayfs in a user namespace (before 5.11). It takes overlayfs' own options
 * and stays as a FUSE server until the mount is unmounted.
 */
import { execFile } from "node:child_process";

export const FUSE_OVERLAYFS = "/usr/bin/fuse-overlayfs";

/** Mounts `data` (overlay options, paths relative to `cwd`) at `target`. Throws with fuse-overlayfs' stderr. */
export function fuseOverlay(cwd: string, data: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(FUSE_OVERLAYFS, ["-o", data, target], { cwd, timeout: 60_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`fuse-overlayfs ${target}: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

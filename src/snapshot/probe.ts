/** Whether this process can mount the kernel's overlayfs (rootless: inside its user namespace). */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { userOverlayXattrs } from "../layer/overlayxattr.js";
import { MNT_DETACH, mount, umount } from "../sys/libc.js";

/** Mounts a one-layer overlay in a scratch dir under `tmp` and removes it; false when refused. */
export async function overlayWorks(tmp: string): Promise<boolean> {
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(tmp, "overlay-probe-"));
  try {
    for (const d of ["l", "u", "w", "m"]) await mkdir(join(dir, d));
    const extra = userOverlayXattrs() ? ",userxattr" : "";
    mount(
      "overlay",
      join(dir, "m"),
      "overlay",
      0,
      `lowerdir=${dir}/l,upperdir=${dir}/u,workdir=${dir}/w${extra}`,
    );
    umount(join(dir, "m"), MNT_DETACH);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writable snapshots for containers: an upper and a work dir on top of an
 * image's layer chain, mounted with overlayfs at <dir>/merged.
 *
 *   prepare(id, topChainID)  -> overlay/<id>/{diff,work,merged} + a "lower" file
 *   mount(id)                -> mount -t overlay (lowerdirs as short links)
 *   unmount(id), remove(id)
 *
 * The upper dir (`diff`) is what `docker diff`, `commit` and `cp` read.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { userOverlayXattrs } from "../layer/overlayxattr.js";
import { MNT_DETACH, mount, SyscallError, umount } from "../sys/libc.js";
import { invalid, isErrno, notFound } from "../util/errors.js";
import { chownToContainerRoot } from "../util/idmap.js";
import { fuseOverlay } from "./fuse.js";
import type { LayerStore } from "./layers.js";

export interface Snapshot {
  id: string;
  /** The writable upper directory (the container's changes). */
  upper: string;
  work: string;
  merged: string;
  /** Lower directories, top first (overlayfs order). */
  lowers: string[];
}

const PAGE_SIZE = 4096;

export class Snapshotter {
  /**
   * `driver`: "overlay2" mounts the kernel's overlayfs; "fuse-overlayfs" runs
   * Debian's fuse-overlayfs (for kernels that refuse overlay in a user namespace).
   */
  constructor(
    private readonly layers: LayerStore,
    readonly driver: "overlay2" | "fuse-overlayfs" = "overlay2",
  ) {}

  private dir(id: string): string {
    return join(this.layers.dir, `${id}-rw`);
  }

  /** The snapshot's directory (diff/, work/, merged/ inside). */
  dirOf(id: string): string {
    return this.dir(id);
  }

  /** Creates the dirs for a writable snapshot over `parent` (a chainID or none). */
  async prepare(id: string, parent: string | undefined): Promise<Snapshot> {
    const dir = this.dir(id);
    await mkdir(join(dir, "diff"), { recursive: true, mode: 0o755 });
    await mkdir(join(dir, "work"), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "merged"), { recursive: true, mode: 0o700 });
    const chain = await this.layers.chain(parent);
    await makeInitLayer(join(dir, "init"));
    // Under userns-remap the container's root owns its root directory and mount points.
    for (const p of ["diff", "merged"]) await chownToContainerRoot(join(dir, p));
    // Top first, as overlayfs wants; each entry is the layer's short link.
    // The init layer (mount points for /etc/hosts & co, as Docker's "-init"
    // layer) sits between the image and the container's own changes.
    const lower = [`${id}-rw/init`, ...chain.reverse().map((l) => `l/${l.link}`)].join(":");
    await writeFile(join(dir, "lower"), lower);
    await writeFile(join(dir, "parent"), parent ?? "");
    return this.get(id);
  }

  async get(id: string): Promise<Snapshot> {
    const dir = this.dir(id);
    let lower: string;
    try {
      lower = await readFile(join(dir, "lower"), "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw notFound(`snapshot ${id} does not exist`);
      throw err;
    }
    const lowers = lower === "" ? [] : lower.split(":").map((l) => join(this.layers.dir, l));
    return { id, upper: join(dir, "diff"), work: join(dir, "work"), merged: join(dir, "merged"), lowers };
  }

  async parent(id: string): Promise<string | undefined> {
    const p = await readFile(join(this.dir(id), "parent"), "utf8").catch(() => "");
    return p || undefined;
  }

  /** Mounts the snapshot at its merged dir (idempotent). */
  async mount(id: string): Promise<string> {
    const snap = await this.get(id);
    if (await isMounted(snap.merged)) return snap.merged;
    const lower = await readFile(join(this.dir(id), "lower"), "utf8");
    let lowerOpt = lower;
    if (lowerOpt === "") {
      // overlayfs needs a lowerdir: an image without layers gets an empty one.
      lowerOpt = `${id}-rw/init`;
    }
    const rel = (p: string) => p.slice(this.layers.dir.length + 1);
    // In a user namespace (rootless) overlay keeps its metadata in user.overlay.* xattrs.
    const extra = userOverlayXattrs() ? ",userxattr" : "";
    const data = `lowerdir=${lowerOpt},upperdir=${rel(snap.upper)},workdir=${rel(snap.work)}${extra}`;
    if (data.length >= PAGE_SIZE) throw invalid(`too many layers to mount (${snap.lowers.length})`);
    // Relative paths keep the option under one page; mount(2) resolves them
    // against the cwd, so switch it around the (synchronous) call.
    if (this.driver === "fuse-overlayfs") {
      await fuseOverlay(this.layers.dir, data.replace(",userxattr", ""), snap.merged);
      return snap.merged;
    }
    const cwd = process.cwd();
    process.chdir(this.layers.dir);
    try {
      mount("overlay", snap.merged, "overlay", 0, data);
    } finally {
      process.chdir(cwd);
    }
    return snap.merged;
  }

  async unmount(id: string): Promise<void> {
    const merged = join(this.dir(id), "merged");
    try {
      umount(merged, MNT_DETACH);
    } catch (err) {
      if (err instanceof SyscallError && (err.code === "EINVAL" || err.code === "ENOENT")) return;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    await this.unmount(id);
    await rm(this.dir(id), { recursive: true, force: true });
  }
}

/** Mount points every container gets, so they never show up as its own changes. */
async function makeInitLayer(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chownToContainerRoot(dir);
  for (const d of ["dev", "dev/pts", "dev/shm", "dev/mqueue", "proc", "sys", "etc"]) {
    await mkdir(join(dir, d), { recursive: true, mode: 0o755 });
    await chownToContainerRoot(join(dir, d));
  }
  for (const f of ["etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"]) {
    await writeFile(join(dir, f), "", { mode: 0o644 });
    await chownToContainerRoot(join(dir, f));
  }
}

/** True when `path` is a mount point (listed in /proc/self/mountinfo). */
export async function isMounted(path: string): Promise<boolean> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of info.split("\n")) {
    const mp = line.split(" ")[4];
    if (mp && mp.replace(/\\040/g, " ") === path) return true;
  }
  return false;
}

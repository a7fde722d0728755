/**
 * Filesystem views of a container: `docker diff`, `commit`, `export`, and
 * the archive API behind `docker cp`. Every path given by a client is
 * resolved inside the container's root, so a symlink never reaches the host.
 */
import { lstat, readlink } from "node:fs/promises";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { applyChange } from "../../image/changes.js";
import { ingestLayer } from "../../image/ingest.js";
import type { ImageConfig } from "../../image/types.js";
import { extractArchive } from "../../layer/apply.js";
import { tarDirectory } from "../../layer/archive.js";
import { changes, diffTar } from "../../layer/diff.js";
import { BerthError, invalid, isErrno, notFound } from "../../util/errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ContainerDeps } from "./service.js";
import { eventAttrs } from "./service.js";
import type { ContainerRecord } from "./types.js";

/** Mounts the container's root if it isn't running (and says whether to unmount after). */
async function withRoot<T>(
  d: ContainerDeps,
  rec: ContainerRecord,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const running = rec.state.Status === "running" || rec.state.Status === "paused";
  const root = await d.snapshots.mount(rec.id);
  try {
    return await fn(root);
  } finally {
    if (!running) {
      const cur = d.store.tryResolve(rec.id);
      if (!cur || (cur.state.Status !== "running" && cur.state.Status !== "paused")) {
        await d.snapshots.unmount(rec.id).catch(() => {});
      }
    }
  }
}

export async function diff(d: ContainerDeps, ref: string) {
  const rec = d.store.resolve(ref);
  const snap = await d.snapshots.get(rec.id);
  const list = await changes(snap.upper, snap.lowers);
  const kinds = { C: 0, A: 1, D: 2 } as const;
  return list.map((c) => ({ Path: c.path, Kind: kinds[c.kind] }));
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes: string[];
  pause: boolean;
  config?: Partial<ImageConfig["config"]>;
}

export async function commit(
  d: ContainerDeps,
  life: Lifecycle,
  ref: string,
  o: CommitOptions,
): Promise<string> {
  const rec = d.store.resolve(ref);
  const target = o.repo ? d.images.parseTagTarget(o.repo, o.tag) : undefined;
  const paused = o.pause && rec.state.Status === "running";
  if (paused) await life.pause(rec.id);
  try {
    const snap = await d.snapshots.get(rec.id);
    const base = await d.images.config(d.images.store.get(rec.image) ?? d.images.store.resolve(rec.image));
    const layer = await ingestLayer(
      d.images.content,
      d.images.layers,
      rec.layer,
      diffTar(snap.upper, snap.lowers),
    );
    const cfg = { ...rec.config, ...(o.config ?? {}) };
    delete (cfg as { Image?: string }).Image;
    for (const c of o.changes) applyChange(cfg, c);
    const now = new Date().toISOString();
    const empty = layer.chainID === rec.layer;
    const config: ImageConfig = {
      ...base,
      created: now,
      author: o.author ?? "",
      config: cfg,
      container: rec.id,
      container_config: rec.config,
      ...(o.comment ? { comment: o.comment } : {}),
      rootfs: {
        type: "layers",
        diff_ids: empty ? base.rootfs.diff_ids : [...base.rootfs.diff_ids, layer.diffID],
      },
      history: [
        ...(base.history ?? []),
        {
          created: now,
          created_by: [rec.path, ...rec.args].join(" "),
          ...(o.author ? { author: o.author } : {}),
          ...(o.comment ? { comment: o.comment } : {}),
          ...(empty ? { empty_layer: true } : {}),
        },
      ],
    };
    const img = await d.images.create(config, { parent: rec.image });
    if (target) await d.images.tag(img.id, target);
    d.events.emit("container", "commit", rec.id, eventAttrs(rec, { comment: o.comment ?? "" }));
    return img.id;
  } finally {
    if (paused) await life.unpause(rec.id).catch(() => {});
  }
}

export async function exportContainer(d: ContainerDeps, ref: string): Promise<Readable> {
  const rec = d.store.resolve(ref);
  const root = await d.snapshots.mount(rec.id);
  const tar = tarDirectory(root, { excludeMounts: true });
  const done = () => {
    const cur = d.store.tryResolve(rec.id);
    if (cur && cur.state.Status !== "running" && cur.state.Status !== "paused")
      void d.snapshots.unmount(rec.id);
  };
  tar.once("end", done).once("error", done).once("close", done);
  d.events.emit("container", "export", rec.id, eventAttrs(rec));
  return tar;
}

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

export async function statPath(d: ContainerDeps, ref: string, path: string): Promise<PathStat> {
  const rec = d.store.resolve(ref);
  return withRoot(d, rec, async (root) => {
    const host = await resolveInRoot(root, path, false);
    let st: import("node:fs").Stats;
    try {
      st = await lstat(host);
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw notFound(`Could not find the file ${path} in container ${rec.name}`);
      throw err;
    }
    const linkTarget = st.isSymbolicLink() ? await readlink(host) : "";
    return {
      name: posix.basename(path) || "/",
      size: st.size,
      mode: goMode(st),
      mtime: st.mtime.toISOString(),
      linkTarget,
    };
  });
}

/** GET /containers/{id}/archive: a tar of `path` (its last component named as in the container). */
export async function getArchive(
  d: ContainerDeps,
  ref: string,
  path: string,
): Promise<{ stat: PathStat; tar: Readable }> {
  const stat = await statPath(d, ref, path);
  const rec = d.store.resolve(ref);
  const root = await d.snapshots.mount(rec.id);
  // A trailing "/." copies the directory's contents; otherwise the entry keeps its name.
  const follow = path.endsWith("/") || path.endsWith("/.");
  const host = await resolveInRoot(root, path, follow);
  const name = path.endsWith("/.") ? "." : posix.basename(posix.normalize(`/${path}`)) || ".";
  const tar = tarDirectory(host, { prefix: name });
  const done = () => {
    const cur = d.store.tryResolve(rec.id);
    if (cur && cur.state.Status !== "running" && cur.state.Status !== "paused")
      void d.snapshots.unmount(rec.id);
  };
  tar.once("end", done).once("error", done).once("close", done);
  return { stat, tar };
}

/** PUT /containers/{id}/archive: extracts a tar into the directory `path`. */
export async function putArchive(
  d: ContainerDeps,
  ref: string,
  path: string,
  tar: Readable,
  o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
): Promise<void> {
  const rec = d.store.resolve(ref);
  if (rec.hostConfig.ReadonlyRootfs) throw invalid("container rootfs is marked read-only");
  await withRoot(d, rec, async (root) => {
    const host = await resolveInRoot(root, path, true);
    let st: import("node:fs").Stats;
    try {
      st = await lstat(host);
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw notFound(`Could not find the file ${path} in container ${rec.name}`);
      throw err;
    }
    if (!st.isDirectory()) throw invalid(`extraction point is not a directory`);
    try {
      await extractArchive(tar, host, { noOverwriteDirNonDir: o.noOverwriteDirNonDir, root });
    } catch (err) {
      // A body that is not a (gzipped) tar is the client's fault, not a 500; fs errors stay what they are.
      if (err instanceof BerthError || /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code)))
        throw err;
      throw invalid(`the request body is not a readable tar archive: ${(err as Error).message}`, err);
    }
  });
}

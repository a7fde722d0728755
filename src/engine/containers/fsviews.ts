/**
 * Filesystem views of a container: `docker diff`, `commit`, `export`. The
 * archive API behind `docker cp` is in archive.ts.
 */
import type { Readable } from "node:stream";
import { applyChange } from "../../image/changes.js";
import type { ImageConfig } from "../../image/types.js";
import { tarDirectory } from "../../layer/archive.js";
import { changes } from "../../layer/diff.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ContainerDeps } from "./service.js";
import { eventAttrs } from "./service.js";

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
  if (paused) {
    // Recorded first: a crash before the unpause below is undone at the next start.
    rec.pausedForCommit = true;
    await d.store.save(rec);
    await life.pause(rec.id).catch(async (err) => {
      delete rec.pausedForCommit;
      await d.store.save(rec).catch(() => {});
      throw err;
    });
  }
  try {
    const snap = await d.snapshots.get(rec.id);
    const base = await d.images.config(d.images.store.get(rec.image) ?? d.images.store.resolve(rec.image));
    const cfg = { ...rec.config, ...(o.config ?? {}) };
    delete (cfg as { Image?: string }).Image;
    for (const c of o.changes) applyChange(cfg, c);
    const now = new Date().toISOString();
    const config: ImageConfig = {
      ...base,
      created: now,
      author: o.author ?? "",
      config: cfg,
      container: rec.id,
      container_config: rec.config,
      ...(o.comment ? { comment: o.comment } : {}),
    };
    const img = await d.images.commit({
      parent: rec.image,
      parentLayer: rec.layer,
      config,
      upper: snap.upper,
      lowers: snap.lowers,
      history: {
        created: now,
        created_by: [rec.path, ...rec.args].join(" "),
        ...(o.author ? { author: o.author } : {}),
        ...(o.comment ? { comment: o.comment } : {}),
      },
    });
    if (target) await d.images.tag(img.id, target);
    d.events.emit("container", "commit", rec.id, eventAttrs(rec, { comment: o.comment ?? "" }));
    return img.id;
  } finally {
    if (paused) {
      await life.unpause(rec.id).catch(() => {});
      delete rec.pausedForCommit;
      await d.store.save(rec).catch(() => {});
    }
  }
}

export async function exportContainer(d: ContainerDeps, ref: string): Promise<Readable> {
  const rec = d.store.resolve(ref);
  const root = await d.snapshots.mount(rec.id);
  // Unmounted (when stopped) once the walk is over, not when the consumer is.
  const release = () => {
    const cur = d.store.tryResolve(rec.id);
    if (cur && cur.state.Status !== "running" && cur.state.Status !== "paused")
      void d.snapshots.unmount(rec.id).catch(() => {});
  };
  const tar = tarDirectory(root, { excludeMounts: true, release });
  d.events.emit("container", "export", rec.id, eventAttrs(rec));
  return tar;
}

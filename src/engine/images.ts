/**
 * Image operations behind the /images API: import, tag, remove, prune,
 * inspect views and garbage collection of unreferenced blobs and layers.
 */
import { readdir } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { ContentStore } from "../content/store.js";
import { applyChange } from "../image/changes.js";
import { ingestLayer } from "../image/ingest.js";
import { canonical, familiar, parseReference, type Reference, withDefaultTag } from "../image/reference.js";
import type { ImageRecord, ImageStore } from "../image/store.js";
import { type HistoryEntry, hostPlatform, type ImageConfig } from "../image/types.js";
import { history, type ImageFacts, inspect, summary } from "../image/view.js";
import { diffTar } from "../layer/diff.js";
import { chainIDs, type LayerStore } from "../snapshot/layers.js";
import { conflict, invalid } from "../util/errors.js";
import type { EventBus } from "./events.js";
import { type Filters, globMatch, matchesImageFilters } from "./filters.js";

export interface ImageUsage {
  /** IDs of containers using the image (running or not). */
  containersUsing(imageId: string): { id: string; running: boolean }[];
}

export class ImageService {
  usage: ImageUsage = { containersUsing: () => [] };
  /** Operations under hold() now, and whether a GC waits for them. */
  private busy = 0;
  private gcPending = false;
  private gcRunning?: Promise<void>;
  /** The sweep queued behind the running one (see gc()). */
  private gcNext?: Promise<void>;

  constructor(
    readonly content: ContentStore,
    readonly layers: LayerStore,
    readonly store: ImageStore,
    private readonly events: EventBus,
  ) {}

  async config(rec: ImageRecord): Promise<ImageConfig> {
    return this.content.readJson<ImageConfig>(rec.id);
  }

  /** The top chainID of an image's layers (undefined for an image without layers). */
  async topLayer(rec: ImageRecord): Promise<string | undefined> {
    const cfg = await this.config(rec);
    return chainIDs(cfg.rootfs.diff_ids).pop();
  }

  async facts(rec: ImageRecord): Promise<ImageFacts> {
    const config = await this.config(rec);
    const chain = chainIDs(config.rootfs.diff_ids);
    const metas = await Promise.all(chain.map((c) => this.layers.get(c)));
    const layerSizes = metas.map((m) => m?.size ?? 0);
    const dirs = chain.map((c) => this.layers.diffDir(c)).reverse();
    return {
      rec,
      config,
      refs: this.store.refsOf(rec.id),
      size: layerSizes.reduce((a, b) => a + b, 0),
      layerSizes,
      graphDriver: dirs.length
        ? { UpperDir: dirs[0], ...(dirs.length > 1 ? { LowerDir: dirs.slice(1).join(":") } : {}) }
        : {},
    };
  }

  async inspect(name: string) {
    return inspect(await this.facts(this.store.resolve(name)));
  }

  async list(opts: { all?: boolean; filters?: Filters; digests?: boolean }) {
    const recs = this.store.list();
    const out = [];
    const parents = new Set(recs.map((r) => r.parent).filter(Boolean));
    for (const rec of recs) {
      const refs = this.store.refsOf(rec.id);
      // Without -a, untagged images that are parents of others (intermediate build layers) are hidden.
      if (!opts.all && refs.length === 0 && parents.has(rec.id)) continue;
      const facts = await this.facts(rec);
      if (opts.filters && !(await matchesImageFilters(facts, opts.filters, this))) continue;
      const refFilter = opts.filters?.get("reference");
      // With a reference filter Docker lists only the matching names of each image.
      if (refFilter?.length) facts.refs = facts.refs.filter((r) => refMatches(r, refFilter));
      out.push(summary(facts));
    }
    return out.sort((a, b) => b.Created - a.Created);
  }

  async history(name: string) {
    const rec = this.store.resolve(name);
    const facts = await this.facts(rec);
    const owners = new Map<number, { id: string; tags: string[] }>();
    let cur: ImageRecord | undefined = rec;
    while (cur) {
      const cfg = await this.config(cur);
      const n = cfg.history?.length || cfg.rootfs.diff_ids.length;
      if (!owners.has(n)) {
        const tags = this.store
          .refsOf(cur.id)
          .map((r) => parseReference(r))
          .filter((r) => r.tag)
          .map((r) => familiar(r));
        owners.set(n, { id: cur.id, tags });
      }
      cur = cur.parent ? this.store.get(cur.parent) : undefined;
    }
    return history(facts, (n) => owners.get(n));
  }

  /** Registers an image whose layers are already in the layer store. */
  /**
   * Runs `fn`, which makes blobs and layers that no image references yet
   * (a pull, load, build, commit): a GC asked for meanwhile (an rmi, a
   * build's removed RUN container) is deferred until no such work runs, and
   * `fn` waits for a GC already sweeping. Nested holds are fine.
   */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gcRunning) await this.gcRunning;
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
      if (this.busy === 0 && this.gcPending) {
        this.gcPending = false;
        await this.gc().catch(() => {});
      }
    }
  }

  async create(config: ImageConfig, opts: { parent?: string; manifest?: ImageRecord["manifest"] } = {}) {
    return this.hold(() => this.createHeld(config, opts));
  }

  private async createHeld(
    config: ImageConfig,
    opts: { parent?: string; manifest?: ImageRecord["manifest"] },
  ) {
    const blob = await this.content.put(JSON.stringify(config));
    const existing = this.store.get(blob.digest);
    const rec: ImageRecord = {
      id: blob.digest,
      loaded: existing?.loaded ?? Date.now(),
      ...(existing ?? {}),
      ...(opts.parent ? { parent: opts.parent } : {}),
      ...(opts.manifest ? { manifest: opts.manifest } : {}),
    };
    await this.store.put(rec);
    return rec;
  }

  /**
   * The one commit path (`docker commit` and the builder's RUN/COPY steps):
   * the changes in a snapshot's `upper` dir (over `lowers`) become a layer on
   * top of image `parent`, `config` (the new image's config, its rootfs still
   * the parent's) gains that diffID and the `history` row, and the image is
   * registered. With `emptyOk`, an empty upper dir adds no layer and the row is
   * marked `empty_layer`, as Docker's builder does for a WORKDIR that exists.
   */
  async commit(o: {
    parent?: string;
    /** The parent's top chainID when already known (a container's record keeps it). */
    parentLayer?: string;
    config: ImageConfig;
    upper: string;
    lowers: string[];
    history: HistoryEntry;
    emptyOk?: boolean;
  }): Promise<ImageRecord> {
    return this.hold(async () => {
      const parentRec = o.parent ? this.store.get(o.parent) : undefined;
      const parentLayer = o.parentLayer ?? (parentRec ? await this.topLayer(parentRec) : undefined);
      let empty = o.emptyOk === true && (await readdir(o.upper)).length === 0;
      const config: ImageConfig = {
        ...o.config,
        rootfs: { type: "layers", diff_ids: [...o.config.rootfs.diff_ids] },
      };
      if (!empty) {
        const layer = await ingestLayer(this.content, this.layers, parentLayer, diffTar(o.upper, o.lowers));
        if (layer.chainID === parentLayer) empty = true;
        else config.rootfs.diff_ids.push(layer.diffID);
      }
      config.history = [...(config.history ?? []), { ...o.history, ...(empty ? { empty_layer: true } : {}) }];
      return this.create(config, o.parent ? { parent: o.parent } : {});
    });
  }

  /**
   * `docker import`: one layer from a tar, a fresh config, optional --change.
   * `signal` aborting (the client went away) stops the extraction: no layer, no image.
   */
  async import(
    source: Readable,
    opts: {
      repo?: string;
      tag?: string;
      changes?: string[];
      message?: string;
      platform?: string;
      signal?: AbortSignal;
    },
  ) {
    return this.hold(async () => {
      const ref = opts.repo ? this.parseTagTarget(opts.repo, opts.tag) : undefined;
      const cfgChanges = { Env: null, Cmd: null, ...({} as ImageConfig["config"]) };
      for (const ch of opts.changes ?? []) applyChange(cfgChanges!, ch);
      const layer = await ingestLayer(this.content, this.layers, undefined, source, { signal: opts.signal });
      const now = new Date().toISOString();
      const plat = hostPlatform();
      const config: ImageConfig = {
        architecture: plat.architecture,
        os: plat.os,
        created: now,
        config: cfgChanges,
        docker_version: "",
        // As moby's ImportImage: the message, by default "Imported from <src>" (stdin: "-").
        comment: opts.message || "Imported from -",
        rootfs: { type: "layers", diff_ids: [layer.diffID] },
        history: [{ created: now, comment: opts.message || "Imported from -" }],
      };
      const rec = await this.create(config);
      this.events.emit("image", "import", rec.id, {});
      if (ref) await this.tag(rec.id, ref);
      return rec;
    });
  }

  parseTagTarget(repo: string, tag?: string): Reference {
    const ref = parseReference(tag ? `${repo}:${tag}` : repo);
    if (ref.digest) throw invalid("refusing to create a tag with a digest reference");
    return withDefaultTag(ref);
  }

  async tag(source: string, target: Reference): Promise<void> {
    const rec = this.store.resolve(source);
    await this.store.addRef(target, rec.id);
    this.events.emit("image", "tag", rec.id, { name: familiar(target) });
  }

  /**
   * `docker rmi`: a name removes that reference; the image is deleted when no
   * reference is left (or when removed by ID, with -f for several names).
   */
  async remove(name: string, opts: { force?: boolean; noprune?: boolean }) {
    const rec = this.store.resolve(name);
    const out: ({ Untagged: string } | { Deleted: string })[] = [];
    const refs = this.store.refsOf(rec.id);
    const byName =
      refs.some((r) => r === canonical(withDefaultTag(parseReference(name)))) || !isIdLike(name, rec.id);
    const users = this.usage.containersUsing(rec.id);

    // Digest references (name@sha256:..) don't keep an image alive once its last tag goes.
    const tagRefs = refs.filter((r) => !r.includes("@"));
    if (byName && tagRefs.length > 1) {
      // Only untag this name.
      const ref = withDefaultTag(parseReference(name));
      await this.store.removeRef(ref);
      out.push({ Untagged: familiar(ref) });
      this.events.emit("image", "untag", rec.id, { name: familiar(ref) });
      return out;
    }
    if (!byName && tagRefs.length > 1 && !opts.force) {
      throw conflict(
        `conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (users.length > 0) {
      // Messages and rules as moby's ImageDelete: by name, the last tag of an image a
      // container uses needs -f (and then only the tag goes); by ID, a running container's
      // image cannot be deleted at all, a stopped one's needs -f.
      const running = users.find((u) => u.running);
      if (byName && refs.length && !opts.force) {
        const ref = familiar(withDefaultTag(parseReference(name)));
        throw conflict(
          `conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0]!.id.slice(0, 12)} is using its referenced image ${rec.id.slice(7, 19)}`,
        );
      }
      if (!(byName && refs.length) && (running || !opts.force)) {
        const u = running ?? users[0]!;
        throw conflict(
          `conflict: unable to delete ${rec.id.slice(7, 19)} (${running ? "cannot be forced" : "must be forced"}) - image is being used by ${running ? "running" : "stopped"} container ${u.id.slice(0, 12)}`,
        );
      }
    }
    if (this.store.list().some((r) => r.parent === rec.id) && !byName && refs.length === 0) {
      throw conflict(
        `conflict: unable to delete ${rec.id.slice(7, 19)} (cannot be forced) - image has dependent child images`,
      );
    }
    for (const r of refs) {
      const ref = parseReference(r);
      await this.store.removeRef(ref);
      out.push({ Untagged: familiar(ref) });
      this.events.emit("image", "untag", rec.id, { name: familiar(ref) });
    }
    if (users.length > 0) return out; // forced untag of an image a stopped container uses: keep it
    out.push(...(await this.deleteRecord(rec, !opts.noprune)));
    await this.gc();
    return out;
  }

  private async deleteRecord(rec: ImageRecord, pruneParents: boolean): Promise<{ Deleted: string }[]> {
    await this.store.delete(rec.id);
    this.events.emit("image", "delete", rec.id, {});
    const out = [{ Deleted: rec.id }];
    // Untagged parents (build intermediates) with no other children go too.
    if (pruneParents && rec.parent) {
      const parent = this.store.get(rec.parent);
      if (
        parent &&
        this.store.refsOf(parent.id).length === 0 &&
        !this.store.list().some((r) => r.parent === parent.id) &&
        this.usage.containersUsing(parent.id).length === 0
      ) {
        out.push(...(await this.deleteRecord(parent, true)));
      }
    }
    return out;
  }

  /** `docker image prune`: dangling images (or every unused image with `all`). */
  async prune(opts: { all?: boolean; filters?: Filters }) {
    const deleted: ({ Untagged: string } | { Deleted: string })[] = [];
    let before = 0;
    for (const l of await this.layers.list()) before += l.size;
    let progress = true;
    while (progress) {
      progress = false;
      const recs = this.store.list();
      const parents = new Set(recs.map((r) => r.parent).filter(Boolean));
      for (const rec of recs) {
        const refs = this.store.refsOf(rec.id);
        if (!opts.all && refs.length > 0) continue;
        if (parents.has(rec.id)) continue;
        if (this.usage.containersUsing(rec.id).length > 0) continue;
        if (opts.filters && !(await matchesImageFilters(await this.facts(rec), opts.filters, this, true)))
          continue;
        for (const r of refs) {
          await this.store.removeRef(parseReference(r));
          deleted.push({ Untagged: familiar(parseReference(r)) });
        }
        await this.store.delete(rec.id);
        this.events.emit("image", "delete", rec.id, {});
        deleted.push({ Deleted: rec.id });
        progress = true;
      }
    }
    await this.gc();
    let after = 0;
    for (const l of await this.layers.list()) after += l.size;
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: Math.max(0, before - after) };
  }

  /** Extra roots the GC must keep (container layers, build cache). */
  gcRoots: () => Promise<{ layers: string[]; blobs: string[] }> = async () => ({ layers: [], blobs: [] });

  /** Mark and sweep: layers and blobs no image (or container) references are deleted. */
  /**
   * Mark and sweep of layers and blobs no image (or GC root) references.
   * Deferred while hold() work runs (see there).
   */
  async gc(): Promise<void> {
    if (this.busy > 0) {
      this.gcPending = true;
      return;
    }
    if (this.gcRunning) {
      // One sweep after the running one serves every caller that came meanwhile
      // (50 parallel `rm -f` ask for 50 sweeps: two run).
      this.gcNext ??= this.gcRunning
        .catch(() => {})
        .then(() => {
          this.gcNext = undefined;
          return this.gc();
        });
      return this.gcNext;
    }
    const run = this.sweep();
    this.gcRunning = run.finally(() => {
      this.gcRunning = undefined;
    });
    await this.gcRunning;
  }

  private async sweep(): Promise<void> {
    const roots = await this.gcRoots();
    const liveLayers = new Set<string>();
    const liveBlobs = new Set<string>(roots.blobs);
    const markChain = async (top: string | undefined) => {
      let cur = top;
      while (cur && !liveLayers.has(cur)) {
        liveLayers.add(cur);
        const m = await this.layers.get(cur);
        for (const b of m?.blobs ?? []) liveBlobs.add(b.digest);
        cur = m?.parent;
      }
    };
    for (const rec of this.store.list()) {
      liveBlobs.add(rec.id);
      if (rec.manifest) {
        liveBlobs.add(rec.manifest.digest);
        try {
          const m = await this.content.readJson<{ layers?: { digest: string }[] }>(rec.manifest.digest);
          for (const l of m.layers ?? []) liveBlobs.add(l.digest);
        } catch {
          // manifest blob missing: nothing more to keep
        }
      }
      const cfg = await this.config(rec).catch(() => undefined);
      if (cfg) await markChain(chainIDs(cfg.rootfs.diff_ids).pop());
    }
    for (const l of roots.layers) await markChain(l);
    for (const l of await this.layers.list())
      if (!liveLayers.has(l.chainID)) await this.layers.remove(l.chainID);
    for (const d of await this.content.list()) if (!liveBlobs.has(d)) await this.content.delete(d);
  }
}

function refMatches(ref: string, patterns: string[]): boolean {
  const r = parseReference(ref);
  const fam = familiar(r);
  const repo = familiar({ ...r, tag: undefined, digest: undefined });
  return patterns.some((p) => globMatch(p, fam) || globMatch(p, repo));
}

function isIdLike(name: string, id: string): boolean {
  const hex = name.replace(/^sha256:/, "");
  return /^[a-f0-9]+$/.test(hex) && id.slice(7).startsWith(hex);
}

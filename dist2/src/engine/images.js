import { applyChange } from "../image/changes.js";
import { ingestLayer } from "../image/ingest.js";
import { canonical, familiar, parseReference, withDefaultTag } from "../image/reference.js";
import { hostPlatform } from "../image/types.js";
import { history, inspect, summary } from "../image/view.js";
import { chainIDs } from "../snapshot/layers.js";
import { conflict, invalid } from "../util/errors.js";
import { globMatch, matchesImageFilters } from "./filters.js";
export class ImageService {
    content;
    layers;
    store;
    events;
    usage = { containersUsing: () => [] };
    constructor(content, layers, store, events) {
        this.content = content;
        this.layers = layers;
        this.store = store;
        this.events = events;
    }
    async config(rec) {
        return this.content.readJson(rec.id);
    }
    /** The top chainID of an image's layers (undefined for an image without layers). */
    async topLayer(rec) {
        const cfg = await this.config(rec);
        return chainIDs(cfg.rootfs.diff_ids).pop();
    }
    async facts(rec) {
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
    async inspect(name) {
        return inspect(await this.facts(this.store.resolve(name)));
    }
    async list(opts) {
        const recs = this.store.list();
        const out = [];
        const parents = new Set(recs.map((r) => r.parent).filter(Boolean));
        for (const rec of recs) {
            const refs = this.store.refsOf(rec.id);
            // Without -a, untagged images that are parents of others (intermediate build layers) are hidden.
            if (!opts.all && refs.length === 0 && parents.has(rec.id))
                continue;
            const facts = await this.facts(rec);
            if (opts.filters && !(await matchesImageFilters(facts, opts.filters, this)))
                continue;
            const refFilter = opts.filters?.get("reference");
            // With a reference filter Docker lists only the matching names of each image.
            if (refFilter?.length)
                facts.refs = facts.refs.filter((r) => refMatches(r, refFilter));
            out.push(summary(facts));
        }
        return out.sort((a, b) => b.Created - a.Created);
    }
    async history(name) {
        const rec = this.store.resolve(name);
        const facts = await this.facts(rec);
        const owners = new Map();
        let cur = rec;
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
    async create(config, opts = {}) {
        const blob = await this.content.put(JSON.stringify(config));
        const existing = this.store.get(blob.digest);
        const rec = {
            id: blob.digest,
            loaded: existing?.loaded ?? Date.now(),
            ...(existing ?? {}),
            ...(opts.parent ? { parent: opts.parent } : {}),
            ...(opts.manifest ? { manifest: opts.manifest } : {}),
        };
        await this.store.put(rec);
        return rec;
    }
    /** `docker import`: one layer from a tar, a fresh config, optional --change. */
    async import(source, opts) {
        const ref = opts.repo ? this.parseTagTarget(opts.repo, opts.tag) : undefined;
        const cfgChanges = { Env: null, Cmd: null, ...{} };
        for (const ch of opts.changes ?? [])
            applyChange(cfgChanges, ch);
        const layer = await ingestLayer(this.content, this.layers, undefined, source);
        const now = new Date().toISOString();
        const plat = hostPlatform();
        const config = {
            architecture: plat.architecture,
            os: plat.os,
            created: now,
            config: cfgChanges,
            docker_version: "",
            ...(opts.message ? { comment: opts.message } : {}),
            rootfs: { type: "layers", diff_ids: [layer.diffID] },
            history: [{ created: now, created_by: "", comment: opts.message ?? "Imported from -" }],
        };
        if (!opts.message)
            delete config.history[0].comment;
        const rec = await this.create(config);
        this.events.emit("image", "import", rec.id, {});
        if (ref)
            await this.tag(rec.id, ref);
        return rec;
    }
    parseTagTarget(repo, tag) {
        const ref = parseReference(tag ? `${repo}:${tag}` : repo);
        if (ref.digest)
            throw invalid("refusing to create a tag with a digest reference");
        return withDefaultTag(ref);
    }
    async tag(source, target) {
        const rec = this.store.resolve(source);
        await this.store.addRef(target, rec.id);
        this.events.emit("image", "tag", rec.id, { name: familiar(target) });
    }
    /**
     * `docker rmi`: a name removes that reference; the image is deleted when no
     * reference is left (or when removed by ID, with -f for several names).
     */
    async remove(name, opts) {
        const rec = this.store.resolve(name);
        const out = [];
        const refs = this.store.refsOf(rec.id);
        const byName = refs.some((r) => r === canonical(withDefaultTag(parseReference(name)))) || !isIdLike(name, rec.id);
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
            throw conflict(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
        }
        if (users.length > 0) {
            const running = users.find((u) => u.running);
            if (running || !opts.force) {
                const what = running ? "cannot delete" : "must be forced";
                const kind = running ? "running" : "stopped";
                throw conflict(`conflict: unable to ${byName && refs.length ? `remove repository reference "${name}"` : `delete ${rec.id.slice(7, 19)}`} (${what}) - image is being used by ${kind} container ${users[0].id.slice(0, 12)}`);
            }
        }
        if (this.store.list().some((r) => r.parent === rec.id) && !byName && refs.length === 0) {
            throw conflict(`conflict: unable to delete ${rec.id.slice(7, 19)} (cannot be forced) - image has dependent child images`);
        }
        for (const r of refs) {
            const ref = parseReference(r);
            await this.store.removeRef(ref);
            out.push({ Untagged: familiar(ref) });
            this.events.emit("image", "untag", rec.id, { name: familiar(ref) });
        }
        if (users.length > 0)
            return out; // forced untag of an image a stopped container uses: keep it
        out.push(...(await this.deleteRecord(rec, !opts.noprune)));
        await this.gc();
        return out;
    }
    async deleteRecord(rec, pruneParents) {
        await this.store.delete(rec.id);
        this.events.emit("image", "delete", rec.id, {});
        const out = [{ Deleted: rec.id }];
        // Untagged parents (build intermediates) with no other children go too.
        if (pruneParents && rec.parent) {
            const parent = this.store.get(rec.parent);
            if (parent &&
                this.store.refsOf(parent.id).length === 0 &&
                !this.store.list().some((r) => r.parent === parent.id) &&
                this.usage.containersUsing(parent.id).length === 0) {
                out.push(...(await this.deleteRecord(parent, true)));
            }
        }
        return out;
    }
    /** `docker image prune`: dangling images (or every unused image with `all`). */
    async prune(opts) {
        const deleted = [];
        let before = 0;
        for (const l of await this.layers.list())
            before += l.size;
        let progress = true;
        while (progress) {
            progress = false;
            const recs = this.store.list();
            const parents = new Set(recs.map((r) => r.parent).filter(Boolean));
            for (const rec of recs) {
                const refs = this.store.refsOf(rec.id);
                if (!opts.all && refs.length > 0)
                    continue;
                if (parents.has(rec.id))
                    continue;
                if (this.usage.containersUsing(rec.id).length > 0)
                    continue;
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
        for (const l of await this.layers.list())
            after += l.size;
        return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: Math.max(0, before - after) };
    }
    /** Extra roots the GC must keep (container layers, build cache). */
    gcRoots = async () => ({ layers: [], blobs: [] });
    /** Mark and sweep: layers and blobs no image (or container) references are deleted. */
    async gc() {
        const roots = await this.gcRoots();
        const liveLayers = new Set();
        const liveBlobs = new Set(roots.blobs);
        const markChain = async (top) => {
            let cur = top;
            while (cur && !liveLayers.has(cur)) {
                liveLayers.add(cur);
                const m = await this.layers.get(cur);
                for (const b of m?.blobs ?? [])
                    liveBlobs.add(b.digest);
                cur = m?.parent;
            }
        };
        for (const rec of this.store.list()) {
            liveBlobs.add(rec.id);
            if (rec.manifest) {
                liveBlobs.add(rec.manifest.digest);
                try {
                    const m = await this.content.readJson(rec.manifest.digest);
                    for (const l of m.layers ?? [])
                        liveBlobs.add(l.digest);
                }
                catch {
                    // manifest blob missing: nothing more to keep
                }
            }
            const cfg = await this.config(rec).catch(() => undefined);
            if (cfg)
                await markChain(chainIDs(cfg.rootfs.diff_ids).pop());
        }
        for (const l of roots.layers)
            await markChain(l);
        for (const l of await this.layers.list())
            if (!liveLayers.has(l.chainID))
                await this.layers.remove(l.chainID);
        for (const d of await this.content.list())
            if (!liveBlobs.has(d))
                await this.content.delete(d);
    }
}
function refMatches(ref, patterns) {
    const r = parseReference(ref);
    const fam = familiar(r);
    const repo = familiar({ ...r, tag: undefined, digest: undefined });
    return patterns.some((p) => globMatch(p, fam) || globMatch(p, repo));
}
function isIdLike(name, id) {
    const hex = name.replace(/^sha256:/, "");
    return /^[a-f0-9]+$/.test(hex) && id.slice(7).startsWith(hex);
}
//# sourceMappingURL=images.js.map
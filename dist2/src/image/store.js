/**
 * Image metadata: which images exist (by ID = config digest) and which names
 * point at them. The config and manifest documents themselves live in the
 * content store; layers live in the layer store.
 *
 *   <root>/image/images/<hex>.json   one ImageRecord per image
 *   <root>/image/repositories.json   canonical reference -> image ID
 * Every write is atomic; a crash never leaves a half-written record.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict, invalid, notFound } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";
import { canonical, looksLikeId, parseReference, withDefaultTag } from "./reference.js";
export class ImageStore {
    imagesDir;
    reposPath;
    images = new Map();
    /** canonical reference -> image ID */
    refs = new Map();
    constructor(root) {
        this.imagesDir = join(root, "image", "images");
        this.reposPath = join(root, "image", "repositories.json");
    }
    async init() {
        await mkdir(this.imagesDir, { recursive: true });
        for (const name of await readdir(this.imagesDir)) {
            if (!/^[a-f0-9]{64}\.json$/.test(name))
                continue;
            const rec = await readJson(join(this.imagesDir, name));
            if (rec)
                this.images.set(rec.id, rec);
        }
        const repos = (await readJson(this.reposPath)) ?? {};
        for (const [ref, id] of Object.entries(repos))
            if (this.images.has(id))
                this.refs.set(ref, id);
    }
    list() {
        return [...this.images.values()];
    }
    get(id) {
        return this.images.get(id);
    }
    async put(rec) {
        await writeJsonAtomic(join(this.imagesDir, `${rec.id.slice(7)}.json`), rec);
        this.images.set(rec.id, rec);
    }
    async delete(id) {
        for (const [ref, target] of this.refs)
            if (target === id)
                this.refs.delete(ref);
        await this.saveRefs();
        await rm(join(this.imagesDir, `${id.slice(7)}.json`), { force: true });
        this.images.delete(id);
    }
    /** References (canonical strings) pointing at `id`. */
    refsOf(id) {
        return [...this.refs].filter(([, target]) => target === id).map(([ref]) => ref);
    }
    allRefs() {
        return [...this.refs];
    }
    async addRef(ref, id) {
        if (!this.images.has(id))
            throw notFound(`No such image: ${id}`);
        const key = canonical(ref);
        this.refs.set(key, id);
        await this.saveRefs();
        const rec = this.images.get(id);
        if (ref.tag)
            await this.put({ ...rec, lastTagTime: Date.now() });
    }
    async removeRef(ref) {
        const key = canonical(ref);
        const id = this.refs.get(key);
        if (id === undefined)
            return undefined;
        this.refs.delete(key);
        await this.saveRefs();
        return id;
    }
    lookupRef(ref) {
        return this.refs.get(canonical(ref));
    }
    /**
     * Resolves what a user typed: a name (busybox, busybox:1, x@sha256:..),
     * a full ID, or an unambiguous ID prefix.
     */
    resolve(input) {
        const byName = this.tryName(input);
        if (byName)
            return byName;
        if (looksLikeId(input)) {
            const hex = input.replace(/^sha256:/, "");
            if (input.startsWith("sha256:") && hex.length === 64) {
                const rec = this.images.get(input);
                if (rec)
                    return rec;
            }
            else {
                const matches = [...this.images.keys()].filter((id) => id.slice(7).startsWith(hex));
                if (matches.length === 1)
                    return this.images.get(matches[0]);
                if (matches.length > 1)
                    throw conflict(`multiple IDs found with provided prefix: ${input}`);
            }
        }
        throw notFound(`No such image: ${input}`);
    }
    tryName(input) {
        let ref;
        try {
            ref = withDefaultTag(parseReference(input));
        }
        catch {
            if (looksLikeId(input))
                return undefined;
            throw invalid(`invalid reference format: ${input}`);
        }
        const id = this.refs.get(canonical(ref));
        if (id)
            return this.images.get(id);
        if (ref.digest) {
            // name@digest also matches when the digest is the manifest we hold.
            const repo = canonical({ ...ref, tag: undefined, digest: undefined });
            for (const rec of this.images.values()) {
                if (rec.manifest?.digest === ref.digest && this.refsOf(rec.id).some((r) => r.startsWith(repo)))
                    return rec;
            }
        }
        return undefined;
    }
    async saveRefs() {
        await writeJsonAtomic(this.reposPath, Object.fromEntries(this.refs));
    }
}
//# sourceMappingURL=store.js.map
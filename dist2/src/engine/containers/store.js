/**
 * Container records on disk: <root>/containers/<id>/config.v2.json, written
 * atomically on every state change, loaded at start. Names and ID prefixes
 * resolve here.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict, notFound } from "../../util/errors.js";
import { readJson, writeJsonAtomic } from "../../util/fs.js";
export class ContainerStore {
    byId = new Map();
    dir;
    constructor(root) {
        this.dir = join(root, "containers");
    }
    async init() {
        await mkdir(this.dir, { recursive: true, mode: 0o710 });
        for (const id of await readdir(this.dir)) {
            const rec = await readJson(this.configPath(id));
            if (rec)
                this.byId.set(rec.id, rec);
            else
                await rm(join(this.dir, id), { recursive: true, force: true }); // never finished creating
        }
    }
    containerDir(id) {
        return join(this.dir, id);
    }
    configPath(id) {
        return join(this.dir, id, "config.v2.json");
    }
    list() {
        return [...this.byId.values()];
    }
    async save(rec) {
        await writeJsonAtomic(this.configPath(rec.id), rec);
        this.byId.set(rec.id, rec);
    }
    async delete(id) {
        this.byId.delete(id);
        await rm(join(this.dir, id), { recursive: true, force: true });
    }
    byName(name) {
        const n = name.replace(/^\//, "");
        for (const rec of this.byId.values())
            if (rec.name === n)
                return rec;
        return undefined;
    }
    /** Full ID, exact name, or unique ID prefix, as Docker resolves them. */
    resolve(ref) {
        const exact = this.byId.get(ref);
        if (exact)
            return exact;
        const named = this.byName(ref);
        if (named)
            return named;
        if (/^[a-f0-9]+$/.test(ref)) {
            const matches = [...this.byId.values()].filter((r) => r.id.startsWith(ref));
            if (matches.length === 1)
                return matches[0];
            if (matches.length > 1)
                throw conflict(`multiple IDs found with provided prefix: ${ref}`);
        }
        throw notFound(`No such container: ${ref}`);
    }
    tryResolve(ref) {
        try {
            return this.resolve(ref);
        }
        catch {
            return undefined;
        }
    }
}
//# sourceMappingURL=store.js.map
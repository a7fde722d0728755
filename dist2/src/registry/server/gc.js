/**
 * Garbage collection: a blob stays while a manifest in some repository references it (manifests
 * themselves included); others go, with their repository links, once older than a grace period,
 * so a push that uploaded layers but has not put its manifest yet keeps them. Uploads idle for
 * longer than `uploadMaxAgeMs` are dropped, as are leftover temp files.
 */
import { lstat, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { referencedDigests } from "./manifest.js";
import { list, Storage } from "./storage.js";
const HOUR = 3600_000;
async function mtime(path) {
    return lstat(path).then((s) => s.mtimeMs, () => 0);
}
export async function collectGarbage(root, o = {}) {
    const store = new Storage(root);
    const grace = o.graceMs ?? HOUR;
    const uploadMaxAge = o.uploadMaxAgeMs ?? 24 * HOUR;
    const now = Date.now();
    const result = { blobs: [], uploads: [] };
    // Mark: every manifest revision and what it references; note each blob's links and their age.
    const marked = new Set();
    const links = new Map();
    for (const name of await store.repositories()) {
        const revisions = join(store.repoDir(name), "_manifests", "revisions");
        for (const alg of await list(revisions)) {
            for (const hex of await list(join(revisions, alg))) {
                const digest = `${alg}:${hex}`;
                marked.add(digest);
                const body = await readFile(store.blobPath(digest)).catch(() => null);
                if (body)
                    for (const d of referencedDigests(body))
                        marked.add(d);
            }
        }
        const layers = join(store.repoDir(name), "_layers");
        for (const alg of await list(layers)) {
            for (const hex of await list(join(layers, alg))) {
                const path = join(layers, alg, hex);
                const entry = links.get(`${alg}:${hex}`) ?? { paths: [], newest: 0 };
                entry.paths.push(path);
                entry.newest = Math.max(entry.newest, await mtime(path));
                links.set(`${alg}:${hex}`, entry);
            }
        }
    }
    // Sweep blobs.
    const blobs = join(root, "blobs");
    for (const alg of await list(blobs)) {
        for (const prefix of await list(join(blobs, alg))) {
            const dir = join(blobs, alg, prefix);
            await sweepTemp(dir, now - uploadMaxAge, o.dryRun);
            for (const hex of await list(dir)) {
                const digest = `${alg}:${hex}`;
                if (marked.has(digest))
                    continue;
                const link = links.get(digest);
                const newest = Math.max(await mtime(join(dir, hex)), link?.newest ?? 0);
                if (now - newest < grace)
                    continue;
                result.blobs.push(digest);
                if (o.dryRun)
                    continue;
                // Links first: a link without bytes reads as an unknown blob, never as a broken one.
                for (const p of link?.paths ?? [])
                    await rm(p, { force: true });
                await rm(join(dir, hex), { force: true });
            }
        }
    }
    // Stale uploads: age is the newest write to the data or the state file.
    for (const uuid of await list(join(root, "uploads"))) {
        const dir = store.uploadDir(uuid);
        const newest = Math.max(await mtime(dir), await mtime(store.uploadData(uuid)), await mtime(join(dir, "state.json")));
        if (now - newest < uploadMaxAge)
            continue;
        result.uploads.push(uuid);
        if (!o.dryRun)
            await rm(dir, { recursive: true, force: true });
    }
    return result;
}
/** Temp files (".tmp-*") left by a crash between write and rename. */
async function sweepTemp(dir, before, dryRun) {
    for (const f of await readdir(dir).catch(() => [])) {
        if (f.startsWith(".tmp-") && (await mtime(join(dir, f))) < before && !dryRun)
            await rm(join(dir, f), { force: true });
    }
}
//# sourceMappingURL=gc.js.map
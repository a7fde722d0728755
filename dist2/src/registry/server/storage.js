/**
 * On-disk layout of the registry (every file appears by rename, never half-written):
 *   blobs/<alg>/<hex[0:2]>/<hex>                      bytes, stored once whatever the repository
 *   repositories/<name>/_layers/<alg>/<hex>             link: the blob is visible in <name>
 *   repositories/<name>/_manifests/revisions/<alg>/<hex> JSON ManifestMeta: the manifest is in <name>
 *   repositories/<name>/_manifests/tags/<tag>          the digest the tag points at
 *   repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex> descriptor of a manifest whose subject is <alg>:<hex>
 *   uploads/<uuid>/data, uploads/<uuid>/state.json    uploads in progress
 * Temporary files start with "." so no tag, digest or repository component can collide with them.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
/** distribution-spec v1.1 name and tag grammars. */
const COMPONENT = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const validName = (n) => n.length < 256 && NAME_RE.test(n);
export const validTag = (t) => TAG_RE.test(t);
export const validDigest = (d) => DIGEST_RE.test(d);
export const validUuid = (u) => UUID_RE.test(u);
function split(digest) {
    const i = digest.indexOf(":");
    return [digest.slice(0, i), digest.slice(i + 1)];
}
export function tempName(path) {
    return join(dirname(path), `.tmp-${randomBytes(8).toString("hex")}`);
}
/** Writes `data` to a temp file beside `path`, fsyncs it and renames it over `path`. */
export async function writeAtomic(path, data) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempName(path);
    const fh = await open(tmp, "w", 0o644);
    try {
        await fh.writeFile(data);
        await fh.sync();
    }
    finally {
        await fh.close();
    }
    try {
        await rename(tmp, path);
    }
    catch (e) {
        await rm(tmp, { force: true });
        throw e;
    }
}
export async function fsyncFile(path) {
    const fh = await open(path, "r");
    try {
        await fh.sync();
    }
    finally {
        await fh.close();
    }
}
export async function hashFile(path, alg) {
    const h = createHash(alg);
    await pipeline(createReadStream(path), h);
    return `${alg}:${h.digest("hex")}`;
}
export function hashBytes(data, alg = "sha256") {
    return `${alg}:${createHash(alg).update(data).digest("hex")}`;
}
async function sizeOf(path) {
    try {
        const s = await stat(path);
        return s.isFile() ? s.size : null;
    }
    catch {
        return null;
    }
}
async function exists(path) {
    return stat(path).then(() => true, () => false);
}
async function readText(path) {
    try {
        return await readFile(path, "utf8");
    }
    catch {
        return null;
    }
}
/** Directory entries that are not temp files; [] when the directory is missing. */
export async function list(dir) {
    try {
        return (await readdir(dir)).filter((n) => !n.startsWith("."));
    }
    catch {
        return [];
    }
}
async function removeFile(path) {
    try {
        await unlink(path);
        return true;
    }
    catch {
        return false;
    }
}
export class Storage {
    root;
    constructor(root) {
        this.root = root;
    }
    blobPath(digest) {
        const [alg, hex] = split(digest);
        return join(this.root, "blobs", alg, hex.slice(0, 2), hex);
    }
    repoDir(name) {
        return join(this.root, "repositories", ...name.split("/"));
    }
    layerLink(name, digest) {
        return join(this.repoDir(name), "_layers", ...split(digest));
    }
    revisionPath(name, digest) {
        return join(this.repoDir(name), "_manifests", "revisions", ...split(digest));
    }
    tagsDir(name) {
        return join(this.repoDir(name), "_manifests", "tags");
    }
    referrersDir(name, subject) {
        return join(this.repoDir(name), "_referrers", ...split(subject));
    }
    uploadDir(uuid) {
        return join(this.root, "uploads", uuid);
    }
    uploadData(uuid) {
        return join(this.uploadDir(uuid), "data");
    }
    async init() {
        for (const d of ["blobs", "repositories", "uploads"])
            await mkdir(join(this.root, d), { recursive: true });
    }
    // --- blobs ---
    /** Size of a blob visible in `name` (linked there and present), or null. */
    async blobSizeIn(name, digest) {
        if (!(await exists(this.layerLink(name, digest))))
            return null;
        return sizeOf(this.blobPath(digest));
    }
    async link(name, digest) {
        await writeAtomic(this.layerLink(name, digest), digest);
    }
    async unlinkBlob(name, digest) {
        return removeFile(this.layerLink(name, digest));
    }
    /** Moves a verified, fsynced file into the blob store (same filesystem, so the rename is atomic). */
    async commitBlob(file, digest) {
        const dest = this.blobPath(digest);
        await mkdir(dirname(dest), { recursive: true });
        await rename(file, dest);
    }
    async putBlobBytes(digest, data) {
        if ((await sizeOf(this.blobPath(digest))) !== data.length)
            await writeAtomic(this.blobPath(digest), data);
    }
    // --- manifests and tags ---
    async putManifest(name, meta) {
        await writeAtomic(this.revisionPath(name, meta.digest), JSON.stringify(meta));
    }
    async manifestMeta(name, digest) {
        const text = await readText(this.revisionPath(name, digest));
        if (text === null)
            return null;
        try {
            return JSON.parse(text);
        }
        catch {
            return null;
        }
    }
    async resolveTag(name, tag) {
        const d = (await readText(join(this.tagsDir(name), tag)))?.trim();
        return d && validDigest(d) ? d : null;
    }
    async setTag(name, tag, digest) {
        await writeAtomic(join(this.tagsDir(name), tag), digest);
    }
    async deleteTag(name, tag) {
        return removeFile(join(this.tagsDir(name), tag));
    }
    async tags(name) {
        return (await list(this.tagsDir(name))).filter(validTag).sort();
    }
    /** Removes the manifest from `name`, with every tag pointing at it and its referrer entry. */
    async deleteManifest(name, digest) {
        const meta = await this.manifestMeta(name, digest);
        if (!meta)
            return false;
        for (const t of await this.tags(name)) {
            if ((await this.resolveTag(name, t)) === digest)
                await this.deleteTag(name, t);
        }
        if (meta.subject)
            await this.removeReferrer(name, meta.subject, digest);
        return removeFile(this.revisionPath(name, digest));
    }
    // --- referrers ---
    async addReferrer(name, subject, desc) {
        await writeAtomic(join(this.referrersDir(name, subject), split(desc.digest).join("-")), JSON.stringify(desc));
    }
    async removeReferrer(name, subject, digest) {
        await removeFile(join(this.referrersDir(name, subject), split(digest).join("-")));
    }
    async referrers(name, subject) {
        const dir = this.referrersDir(name, subject);
        const out = [];
        for (const f of (await list(dir)).sort()) {
            const text = await readText(join(dir, f));
            if (text)
                out.push(JSON.parse(text));
        }
        return out;
    }
    // --- repositories ---
    async repoExists(name) {
        const d = this.repoDir(name);
        return (await exists(join(d, "_manifests"))) || (await exists(join(d, "_layers")));
    }
    /** Every repository name, sorted: a directory holding _manifests or _layers is one. */
    async repositories() {
        const out = [];
        const walk = async (dir, prefix) => {
            const entries = await list(dir);
            if (prefix && (entries.includes("_manifests") || entries.includes("_layers")))
                out.push(prefix);
            for (const e of entries) {
                if (!e.startsWith("_"))
                    await walk(join(dir, e), prefix ? `${prefix}/${e}` : e);
            }
        };
        await walk(join(this.root, "repositories"), "");
        return out.filter(validName).sort();
    }
    // --- uploads ---
    async newUpload(name) {
        const uuid = randomUUID();
        await mkdir(this.uploadDir(uuid), { recursive: true });
        await writeAtomic(this.uploadData(uuid), "");
        const state = { name, startedAt: new Date().toISOString() };
        await writeAtomic(join(this.uploadDir(uuid), "state.json"), JSON.stringify(state));
        return uuid;
    }
    async uploadState(uuid) {
        if (!validUuid(uuid))
            return null;
        const text = await readText(join(this.uploadDir(uuid), "state.json"));
        if (text === null)
            return null;
        try {
            return JSON.parse(text);
        }
        catch {
            return null;
        }
    }
    async uploadSize(uuid) {
        return (await sizeOf(this.uploadData(uuid))) ?? 0;
    }
    async dropUpload(uuid) {
        await rm(this.uploadDir(uuid), { recursive: true, force: true });
    }
}
//# sourceMappingURL=storage.js.map
/**
 * Content store: blobs addressed by their sha256 digest.
 *
 * Flow: a writer streams bytes into <root>/ingest/<ref>, hashing as it goes;
 * commit checks the digest (and size) it was promised, fsyncs and renames the
 * file to <root>/blobs/sha256/<hex>. A blob is therefore either whole and
 * verified or absent; a crash leaves at most an ingest file, which a later
 * writer with the same ref resumes (registry pulls) or GC removes.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { invalid, isErrno, notFound, withPath } from "../util/errors.js";
import { fsyncDir } from "../util/fs.js";
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
export function assertDigest(digest) {
    if (!DIGEST_RE.test(digest))
        throw invalid(`invalid digest: ${digest}`);
}
export function sha256(data) {
    return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
export class ContentStore {
    root;
    blobsDir;
    ingestDir;
    /** Ingest files a writer holds now (a prune keeps them). */
    active = new Set();
    constructor(root) {
        this.root = root;
        this.blobsDir = join(root, "blobs", "sha256");
        this.ingestDir = join(root, "ingest");
    }
    async init() {
        await mkdir(this.blobsDir, { recursive: true });
        await mkdir(this.ingestDir, { recursive: true });
    }
    path(digest) {
        assertDigest(digest);
        return join(this.blobsDir, digest.slice(7));
    }
    async info(digest) {
        try {
            const st = await stat(this.path(digest));
            return { digest, size: st.size };
        }
        catch (err) {
            if (isErrno(err, "ENOENT"))
                return undefined;
            throw err;
        }
    }
    async has(digest) {
        return (await this.info(digest)) !== undefined;
    }
    async read(digest) {
        try {
            return await readFile(this.path(digest));
        }
        catch (err) {
            if (isErrno(err, "ENOENT"))
                throw notFound(`blob ${digest} not found`);
            throw err;
        }
    }
    async readJson(digest) {
        return JSON.parse((await this.read(digest)).toString("utf8"));
    }
    /** A stream of the blob from byte `start`. */
    async readStream(digest, start = 0) {
        if (!(await this.has(digest)))
            throw notFound(`blob ${digest} not found`);
        return createReadStream(this.path(digest), { start });
    }
    /** Stores a small blob held in memory. */
    async put(data, expected = {}) {
        const w = await this.writer();
        await w.write(typeof data === "string" ? Buffer.from(data) : data);
        return w.commit(expected);
    }
    /** Streams a blob in, verifying it against `expected` if given. */
    async ingest(source, expected = {}, ref) {
        const w = await this.writer(ref);
        try {
            for await (const chunk of source)
                await w.write(chunk);
            return await w.commit(expected);
        }
        catch (err) {
            await w.abort();
            throw err;
        }
    }
    /**
     * A writer. With a `ref` (e.g. the expected digest of a pull), a partial
     * ingest left by an interrupted writer is resumed: `offset` tells where.
     */
    async writer(ref) {
        const name = ref ? ref.replace(/[^a-zA-Z0-9_.-]/g, "_") : `tmp-${randomBytes(8).toString("hex")}`;
        const path = join(this.ingestDir, name);
        const hash = createHash("sha256");
        let offset = 0;
        if (ref) {
            // Re-hash what an earlier attempt wrote so the digest covers it.
            try {
                for await (const chunk of createReadStream(path)) {
                    hash.update(chunk);
                    offset += chunk.length;
                }
            }
            catch (err) {
                if (!isErrno(err, "ENOENT"))
                    throw err;
            }
        }
        const fh = await open(path, "a");
        this.active.add(path);
        return new BlobWriter(this, path, fh, hash, offset);
    }
    /** Moves a verified ingest file into place. */
    async _commit(ingestPath, digest) {
        const target = this.path(digest);
        await rename(ingestPath, target);
        await fsyncDir(this.blobsDir);
    }
    async delete(digest) {
        await rm(this.path(digest), { force: true });
    }
    async list() {
        const names = await readdir(this.blobsDir);
        return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
    }
    /** Removes ingest files older than `maxAgeMs` (abandoned writes). */
    async pruneIngest(maxAgeMs = 0) {
        const now = Date.now();
        for (const name of await readdir(this.ingestDir)) {
            const p = join(this.ingestDir, name);
            const st = await stat(p).catch(() => undefined);
            if (st && now - st.mtimeMs >= maxAgeMs)
                await rm(p, { force: true });
        }
    }
}
export class BlobWriter {
    store;
    path;
    fh;
    hash;
    offset;
    done = false;
    constructor(store, path, fh, hash, offset) {
        this.store = store;
        this.path = path;
        this.fh = fh;
        this.hash = hash;
        this.offset = offset;
    }
    async write(chunk) {
        this.hash.update(chunk);
        let written = 0;
        try {
            while (written < chunk.length) {
                const { bytesWritten } = await this.fh.write(chunk, written, chunk.length - written);
                written += bytesWritten;
            }
        }
        catch (err) {
            throw withPath(err, this.path);
        }
        this.offset += chunk.length;
    }
    /** Verifies and commits; a mismatch removes the partial data and throws. */
    async commit(expected = {}) {
        const digest = `sha256:${this.hash.digest("hex")}`;
        const size = this.offset;
        this.done = true;
        this.store.active.delete(this.path);
        try {
            if (expected.digest && expected.digest !== digest) {
                throw invalid(`digest mismatch: expected ${expected.digest}, got ${digest}`);
            }
            if (expected.size !== undefined && expected.size >= 0 && expected.size !== size) {
                throw invalid(`size mismatch for ${digest}: expected ${expected.size}, got ${size}`);
            }
            await this.fh.sync();
            await this.fh.close();
            await this.store._commit(this.path, digest);
            return { digest, size };
        }
        catch (err) {
            await this.fh.close().catch(() => { });
            await rm(this.path, { force: true });
            throw withPath(err, this.path);
        }
    }
    /** Keeps the partial file (for resume) unless `discard`. */
    async abort(discard = true) {
        if (this.done)
            return;
        this.done = true;
        this.store.active.delete(this.path);
        await this.fh.close().catch(() => { });
        if (discard)
            await rm(this.path, { force: true });
    }
}
//# sourceMappingURL=store.js.map
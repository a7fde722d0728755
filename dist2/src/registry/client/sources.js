/**
 * Where each blob was pulled from or pushed to ("host/repo"), like Docker's
 * v2 metadata: a push to another repository of the same registry can then
 * ask for a cross-repository mount instead of uploading the bytes again.
 * Best effort: a lost record only costs an upload.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../../util/fs.js";
const MAX_SOURCES = 16;
export class BlobSources {
    dir;
    constructor(dir) {
        this.dir = dir;
    }
    file(digest) {
        return join(this.dir, `${digest.replace(":", "-")}.json`);
    }
    async get(digest) {
        try {
            return JSON.parse(await readFile(this.file(digest), "utf8"));
        }
        catch {
            return [];
        }
    }
    async add(digest, repo) {
        const known = await this.get(digest);
        if (known[0] === repo)
            return;
        await mkdir(this.dir, { recursive: true });
        await writeJsonAtomic(this.file(digest), [repo, ...known.filter((r) => r !== repo)].slice(0, MAX_SOURCES));
    }
    /** Repositories on `host` (other than `path`) known to hold the blob. */
    async on(digest, host, path) {
        return (await this.get(digest))
            .filter((r) => r.startsWith(`${host}/`) && r !== `${host}/${path}`)
            .map((r) => r.slice(host.length + 1));
    }
}
//# sourceMappingURL=sources.js.map
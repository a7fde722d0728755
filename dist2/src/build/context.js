/**
 * The build context: the tar the client sent, unpacked into a private
 * directory, with .dockerignore applied (Docker's semantics through
 * @balena/dockerignore), and COPY/ADD sources resolved inside it only.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { extractArchive } from "../layer/apply.js";
import { decompress } from "../layer/compression.js";
import { invalid } from "../util/errors.js";
const require = createRequire(import.meta.url);
const dockerignore = require("@balena/dockerignore");
/**
 * The docker CLI (28.x) sends `-f -` and `-f <outside the context>` contexts
 * without the tar's last padding and end-of-archive blocks (its tar wrapper
 * closes the pipe before the tar writer). Zeros after the stream complete such
 * an archive (up to the next 512-byte block, then two empty blocks) and are
 * read as empty blocks after a proper one.
 */
function withEndOfArchive(tarStream) {
    return Readable.from((async function* () {
        let total = 0;
        for await (const chunk of tarStream) {
            total += chunk.length;
            yield chunk;
        }
        yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
    })());
}
export async function openContext(tmpRoot, body) {
    await mkdir(tmpRoot, { recursive: true });
    const dir = await mkdtemp(join(tmpRoot, "build-"));
    try {
        await extractArchive(withEndOfArchive(await decompress(body)), dir, { preserveOwners: false });
    }
    catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
    }
    const rules = await readFile(join(dir, ".dockerignore"), "utf8").catch(() => "");
    const ig = dockerignore({ ignorecase: false });
    ig.add(rules
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.replace(/^\//, "")));
    return {
        dir,
        ignored: (rel) => rel !== "" && rel !== "." && ig.ignores(rel),
        cleanup: () => rm(dir, { recursive: true, force: true }),
    };
}
/** Go's filepath.Match subset for one path segment pattern. */
function segmentRegex(p) {
    let re = "^";
    for (let i = 0; i < p.length; i++) {
        const c = p[i];
        if (c === "*")
            re += "[^/]*";
        else if (c === "?")
            re += "[^/]";
        else if (c === "[") {
            const j = p.indexOf("]", i);
            re += j > i ? `[${p.slice(i + 1, j).replace(/^!/, "^")}]` : "\\[";
            if (j > i)
                i = j;
        }
        else
            re += c.replace(/[.+^${}()|\\]/g, "\\$&");
    }
    return new RegExp(`${re}$`);
}
/**
 * COPY/ADD sources: paths relative to the context root (a leading / or ../
 * cannot leave it), with glob patterns, minus ignored files.
 */
export async function resolveSources(root, pattern, ignored) {
    const clean = posix.normalize(`/${pattern}`).slice(1);
    if (clean.startsWith(".."))
        throw invalid(`forbidden path outside the build context: ${pattern}`);
    if (!/[*?[]/.test(clean)) {
        const rel = clean === "" ? "." : clean.replace(/\/$/, "");
        const st = await lstat(join(root, rel)).catch(() => undefined);
        if (!st || ignored(rel))
            throw invalid(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${pattern}: file does not exist`);
        return [rel];
    }
    const parts = clean.split("/");
    let found = [""];
    for (const part of parts) {
        const re = segmentRegex(part);
        const next = [];
        for (const base of found) {
            const entries = await readdir(join(root, base)).catch(() => []);
            for (const e of entries.sort())
                if (re.test(e))
                    next.push(base ? `${base}/${e}` : e);
        }
        found = next;
    }
    found = found.filter((f) => !ignored(f));
    if (found.length === 0)
        throw invalid(`COPY failed: no source files were specified`);
    return found;
}
//# sourceMappingURL=context.js.map
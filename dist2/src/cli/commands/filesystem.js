/** cp, export, diff, commit: a container's filesystem through the archive API. */
import { createWriteStream } from "node:fs";
import { lstat, mkdir, rename } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { CliError, DaemonError } from "../client.js";
import { collect, out } from "./common.js";
const enc = encodeURIComponent;
function splitCp(arg) {
    if (arg.startsWith("/") || arg.startsWith(".") || arg === "-")
        return { path: arg };
    const i = arg.indexOf(":");
    if (i <= 0)
        return { path: arg };
    return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}
async function extract(src, dest, renameRoot) {
    const ex = tar.extract();
    const { writeFile, symlink, chmod, utimes } = await import("node:fs/promises");
    ex.on("entry", (h, stream, next) => {
        let name = h.name.replace(/^\.?\//, "");
        if (renameRoot !== undefined) {
            const [first, ...rest] = name.split("/");
            name = [renameRoot, ...rest].join("/");
            void first;
        }
        const target = join(dest, name);
        if (!resolve(target).startsWith(resolve(dest))) {
            stream.resume();
            return next();
        }
        void (async () => {
            await mkdir(dirname(target), { recursive: true });
            if (h.type === "directory") {
                await mkdir(target, { recursive: true });
                await chmod(target, h.mode ?? 0o755);
                stream.resume();
            }
            else if (h.type === "symlink") {
                await symlink(h.linkname ?? "", target).catch(() => undefined);
                stream.resume();
            }
            else if (h.type === "file") {
                const chunks = [];
                for await (const c of stream)
                    chunks.push(c);
                await writeFile(target, Buffer.concat(chunks), { mode: h.mode ?? 0o644 });
                await chmod(target, h.mode ?? 0o644);
            }
            else
                stream.resume();
            if (h.mtime && h.type !== "symlink")
                await utimes(target, h.mtime, h.mtime).catch(() => undefined);
        })().then(() => next(), (e) => next(e));
    });
    await pipeline(src, ex);
}
async function cp(ctx, srcArg, dstArg, o) {
    const src = splitCp(srcArg);
    const dst = splitCp(dstArg);
    const c = ctx.client();
    if (src.container && dst.container)
        throw new CliError("copying between containers is not supported");
    if (!src.container && !dst.container)
        throw new CliError("must specify at least one container source");
    if (src.container) {
        let res;
        try {
            res = await c.request("GET", `/containers/${enc(src.container)}/archive`, {
                query: { path: src.path },
            });
        }
        catch (e) {
            if (e instanceof DaemonError &&
                e.statusCode === 404 &&
                /not found|no such file/i.test(e.daemonMessage) &&
                !/container/i.test(e.daemonMessage))
                throw new CliError(`Error response from daemon: Could not find the file ${src.path} in container ${src.container}`);
            throw e;
        }
        if (dst.path === "-") {
            await pipeline(res, process.stdout, { end: false });
            return;
        }
        const dest = resolve(dst.path);
        const st = await lstat(dest).catch(() => undefined);
        const srcBase = basename(src.path.replace(/\/\.?$/, "")) || "/";
        if (st?.isDirectory()) {
            // "src/." copies the contents; otherwise the source lands inside the directory.
            if (src.path.endsWith("/."))
                await extract(res, dest, ".");
            else
                await extract(res, dest);
        }
        else {
            if (dst.path.endsWith("/"))
                throw new CliError(`destination directory "${dst.path}" must exist`);
            await mkdir(dirname(dest), { recursive: true });
            await extract(res, dirname(dest), basename(dest));
            void srcBase;
        }
        return;
    }
    // Host → container.
    let body;
    let path = dst.path;
    if (src.path === "-")
        body = process.stdin;
    else {
        const full = resolve(src.path);
        const st = await lstat(full).catch(() => undefined);
        if (!st)
            throw new CliError(`lstat ${full}: no such file or directory`);
        // Does the destination exist as a directory in the container?
        let dstIsDir = false;
        try {
            const r = await c.request("HEAD", `/containers/${enc(dst.container)}/archive`, {
                query: { path: dst.path },
            });
            r.resume();
            const stat = JSON.parse(Buffer.from(String(r.headers["x-docker-container-path-stat"] ?? ""), "base64").toString() || "{}");
            dstIsDir = ((stat.mode ?? 0) & 0x80000000) !== 0;
        }
        catch (e) {
            if (!(e instanceof DaemonError && e.statusCode === 404))
                throw e;
        }
        const name = src.path.endsWith("/.") ? "." : basename(full);
        let rootName = name;
        if (!dstIsDir) {
            path = dirname(dst.path);
            rootName = basename(dst.path);
        }
        const files = st.isDirectory() ? await listTree(full) : [];
        body = await renamedTar(full, st.isDirectory(), files, rootName === "." ? "" : rootName);
    }
    await c.json("PUT", `/containers/${enc(dst.container)}/archive`, {
        query: { path, noOverwriteDirNonDir: true, copyUIDGID: o.archive ? true : undefined },
        body: body,
        headers: { "Content-Type": "application/x-tar" },
    });
}
async function listTree(dir) {
    const { readdir } = await import("node:fs/promises");
    const out = [];
    const walk = async (rel) => {
        for (const e of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name < b.name ? -1 : 1)) {
            const p = rel ? `${rel}/${e.name}` : e.name;
            out.push(p);
            if (e.isDirectory())
                await walk(p);
        }
    };
    await walk("");
    return out;
}
/** A tar of `full` whose top entry is named `root` (contents at the top when root is ""). */
async function renamedTar(full, isDir, files, root) {
    const { Readable } = await import("node:stream");
    const pack = tar.pack();
    const { readlink, readFile } = await import("node:fs/promises");
    void (async () => {
        try {
            const add = async (abs, name) => {
                const st = await lstat(abs);
                const h = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
                if (st.isDirectory())
                    pack.entry({ ...h, type: "directory" });
                else if (st.isSymbolicLink())
                    pack.entry({ ...h, type: "symlink", linkname: await readlink(abs) });
                else if (st.isFile())
                    pack.entry(h, await readFile(abs));
            };
            if (isDir) {
                if (root)
                    await add(full, root);
                for (const f of files)
                    await add(join(full, f), root ? `${root}/${f}` : f);
            }
            else
                await add(full, root);
            pack.finalize();
        }
        catch (e) {
            pack.destroy(e);
        }
    })();
    return pack;
}
async function exportCmd(ctx, name, o) {
    if (!o.output && process.stdout.isTTY)
        throw new CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    const res = await ctx.client().request("GET", `/containers/${enc(name)}/export`);
    if (o.output) {
        const tmp = `${o.output}.berth-tmp-${process.pid}`;
        await pipeline(res, createWriteStream(tmp));
        await rename(tmp, o.output);
    }
    else
        await pipeline(res, process.stdout, { end: false });
}
async function diff(ctx, name) {
    const changes = (await ctx.client().get(`/containers/${enc(name)}/changes`)) ?? [];
    const kinds = ["C", "A", "D"];
    for (const ch of changes)
        out(`${kinds[ch.Kind] ?? "?"} ${ch.Path}\n`);
}
async function commit(ctx, name, ref, o) {
    let repo;
    let tag;
    if (ref) {
        const slash = ref.lastIndexOf("/");
        const colon = ref.lastIndexOf(":");
        if (colon > slash)
            [repo, tag] = [ref.slice(0, colon), ref.slice(colon + 1)];
        else
            repo = ref;
    }
    const r = await ctx.client().post("/commit", {
        container: name,
        repo,
        tag,
        comment: o.message,
        author: o.author,
        pause: o.pause !== false,
        changes: o.change.length ? o.change : undefined,
    }, {});
    out(`${r.Id}\n`);
}
export function register(program, ctx) {
    const container = program.commands.find((c) => c.name() === "container") ?? program.command("container");
    for (const c of [program.command("cp"), container.command("cp")]) {
        c.description("Copy files/folders between a container and the local filesystem")
            .argument("<src>")
            .argument("<dest>")
            .option("-a, --archive", "Archive mode (copy all uid/gid information)")
            .option("-L, --follow-link", "Always follow symbol link in SRC_PATH")
            .option("-q, --quiet", "Suppress progress output during copy")
            .action((s, d, o) => cp(ctx, s, d, o));
    }
    for (const c of [program.command("export"), container.command("export")]) {
        c.description("Export a container's filesystem as a tar archive")
            .argument("<container>")
            .option("-o, --output <string>", "Write to a file, instead of STDOUT")
            .action((n, o) => exportCmd(ctx, n, o));
    }
    for (const c of [program.command("diff"), container.command("diff")]) {
        c.description("Inspect changes to files or directories on a container's filesystem")
            .argument("<container>")
            .action((n) => diff(ctx, n));
    }
    for (const c of [program.command("commit"), container.command("commit")]) {
        c.description("Create a new image from a container's changes")
            .argument("<container>")
            .argument("[repository[:tag]]")
            .option("-a, --author <string>", 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
            .option("-c, --change <list>", "Apply Dockerfile instruction to the created image", collect, [])
            .option("-m, --message <string>", "Commit message")
            .option("-p, --pause [bool]", "Pause container during commit", (v) => v !== "false", true)
            .option("--no-pause", "Do not pause the container during commit")
            .action((n, r, o) => commit(ctx, n, r, o));
    }
}
//# sourceMappingURL=filesystem.js.map
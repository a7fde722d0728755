/**
 * build: tars the context (respecting .dockerignore), posts it to /build
 * (the classic builder), prints the `stream` messages with each step's time,
 * and fails on an `error` message.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import ignoreMod from "@balena/dockerignore";
import tar from "tar-stream";
import { CliError, readBody } from "../client.js";
import { ramInBytes } from "../opts/units.js";
import { jsonValues } from "../stream.js";
import { collect, out } from "./common.js";
// A CommonJS module whose typings declare an ES default export: take whichever is callable.
const ignore = (ignoreMod.default ?? ignoreMod);
/** Lists the context's files (relative paths, sorted) that .dockerignore keeps. */
export async function contextFiles(dir, dockerfile) {
    let patterns = [];
    try {
        patterns = (await readFile(join(dir, ".dockerignore"), "utf8"))
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith("#"));
    }
    catch {
        // no .dockerignore
    }
    const ig = ignore({ ignorecase: false }).add(patterns);
    const keepAlways = new Set([dockerfile, ".dockerignore"]);
    const out = [];
    const walk = async (rel) => {
        const entries = await readdir(join(dir, rel), { withFileTypes: true });
        entries.sort((a, b) => (a.name < b.name ? -1 : 1));
        for (const e of entries) {
            const p = rel ? `${rel}/${e.name}` : e.name;
            const ignored = ig.ignores(p) && !keepAlways.has(p);
            if (e.isDirectory()) {
                // A directory is entered even when ignored: a later "!" pattern may keep something inside.
                if (!ignored)
                    out.push(p);
                await walk(p);
            }
            else if (!ignored)
                out.push(p);
        }
    };
    await walk("");
    return out;
}
/** Streams the context directory as a tar. */
export function tarContext(dir, files, extra) {
    const pack = tar.pack();
    void (async () => {
        try {
            for (const f of files) {
                const full = join(dir, f);
                const st = await lstat(full);
                const common = { name: f, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
                if (st.isDirectory())
                    pack.entry({ ...common, type: "directory" });
                else if (st.isSymbolicLink())
                    pack.entry({ ...common, type: "symlink", linkname: await readlink(full) });
                else if (st.isFile()) {
                    await new Promise((res, rej) => {
                        const entry = pack.entry({ ...common, size: st.size }, (e) => (e ? rej(e) : res()));
                        createReadStream(full).on("error", rej).pipe(entry);
                    });
                }
            }
            if (extra)
                pack.entry({ name: extra.name, mode: 0o600, mtime: new Date() }, extra.data);
            pack.finalize();
        }
        catch (e) {
            pack.destroy(e);
        }
    })();
    return pack;
}
function isTar(b) {
    return ((b.length > 262 && b.subarray(257, 262).toString() === "ustar") ||
        (b[0] === 0x1f && b[1] === 0x8b) ||
        (b[0] === 0x42 && b[1] === 0x5a) ||
        (b[0] === 0xfd && b[1] === 0x37));
}
function buildArgs(list) {
    const m = {};
    for (const a of list) {
        const i = a.indexOf("=");
        if (i >= 0)
            m[a.slice(0, i)] = a.slice(i + 1);
        else
            m[a] = process.env[a] ?? null;
    }
    return m;
}
async function build(ctx, context, o) {
    let body;
    let dockerfile = o.file ?? "";
    if (context === "-") {
        const data = await readBody(process.stdin);
        if (isTar(data))
            body = Readable.from([data]);
        else {
            if (o.file)
                throw new CliError("ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles");
            body = tarContext("/", [], { name: "Dockerfile", data });
            dockerfile = "Dockerfile";
        }
    }
    else {
        const dir = resolve(context);
        const st = await lstat(dir).catch(() => undefined);
        if (!st?.isDirectory())
            throw new CliError(`unable to prepare context: path "${context}" not found`);
        let extra;
        if (dockerfile === "-") {
            extra = {
                name: `.dockerfile.${Math.random().toString(16).slice(2, 14)}`,
                data: await readBody(process.stdin),
            };
            dockerfile = extra.name;
        }
        else {
            const df = resolve(dockerfile
                ? dockerfile.startsWith("/")
                    ? dockerfile
                    : resolve(process.cwd(), dockerfile)
                : join(dir, "Dockerfile"));
            const rel = relative(dir, df);
            if (rel.startsWith("..") || rel.startsWith(sep)) {
                extra = { name: `.dockerfile.${Math.random().toString(16).slice(2, 14)}`, data: await readFile(df) };
                dockerfile = extra.name;
            }
            else {
                if (!(await lstat(df).catch(() => undefined)))
                    throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${df}: no such file or directory`);
                dockerfile = rel.split(sep).join("/");
            }
        }
        body = tarContext(dir, await contextFiles(dir, dockerfile), extra);
    }
    const res = await ctx.client().request("POST", "/build", {
        query: {
            t: o.tag.length ? o.tag : undefined,
            dockerfile: dockerfile || undefined,
            buildargs: o.buildArg.length ? JSON.stringify(buildArgs(o.buildArg)) : undefined,
            target: o.target,
            nocache: o.cache === false ? true : undefined,
            labels: o.label.length
                ? JSON.stringify(Object.fromEntries(o.label.map((l) => l.includes("=") ? [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] : [l, ""])))
                : undefined,
            q: o.quiet ? true : undefined,
            pull: o.pull ? true : undefined,
            networkmode: o.network,
            extrahosts: o.addHost.length ? o.addHost.join(",") : undefined,
            shmsize: o.shmSize ? ramInBytes(o.shmSize) : undefined,
            platform: o.platform,
            rm: o.rm !== false,
            forcerm: o.forceRm ? true : undefined,
            cachefrom: o.cacheFrom.length ? JSON.stringify(o.cacheFrom) : undefined,
            memory: o.memory ? ramInBytes(o.memory) : undefined,
        },
        body,
        headers: { "Content-Type": "application/x-tar" },
    });
    let imageId = "";
    let stepStart = 0;
    let step = "";
    const endStep = () => {
        if (step && !o.quiet)
            process.stderr.write(`${step} took ${((Date.now() - stepStart) / 1000).toFixed(2)}s\n`);
    };
    for await (const m of jsonValues(res)) {
        if (m.error || m.errorDetail) {
            endStep();
            throw new CliError(m.errorDetail?.message || m.error || "build failed", m.errorDetail?.code || 1);
        }
        if (m.aux?.ID)
            imageId = String(m.aux.ID);
        if (m.stream !== undefined) {
            const s = /^(Step \d+\/\d+) :/.exec(m.stream);
            if (s) {
                endStep();
                step = s[1];
                stepStart = Date.now();
            }
            if (!o.quiet)
                out(m.stream);
        }
        else if (m.status && !o.quiet)
            out(`${m.status}\n`);
    }
    endStep();
    if (o.quiet)
        out(`${imageId || ""}\n`);
    if (o.iidfile)
        await writeFile(o.iidfile, imageId);
}
export function registerBuild(program, ctx) {
    const image = program.commands.find((c) => c.name() === "image") ?? program.command("image");
    const builder = program.command("builder").description("Manage builds");
    for (const c of [program.command("build"), image.command("build"), builder.command("build")]) {
        c.description("Build an image from a Dockerfile")
            .argument("<path|URL|->")
            .option("--add-host <list>", "Add a custom host-to-IP mapping (host:ip)", collect, [])
            .option("--build-arg <list>", "Set build-time variables", collect, [])
            .option("--cache-from <strings>", "Images to consider as cache sources", collect, [])
            .option("-f, --file <string>", "Name of the Dockerfile (Default is PATH/Dockerfile)")
            .option("--force-rm", "Always remove intermediate containers")
            .option("--iidfile <string>", "Write the image ID to the file")
            .option("--label <list>", "Set metadata for an image", collect, [])
            .option("-m, --memory <bytes>", "Memory limit")
            .option("--network <string>", "Set the networking mode for the RUN instructions during build")
            .option("--no-cache", "Do not use cache when building the image")
            .option("--platform <string>", "Set platform if server is multi-platform capable")
            .option("--pull", "Always attempt to pull a newer version of the image")
            .option("-q, --quiet", "Suppress the build output and print image ID on success")
            .option("--rm [bool]", "Remove intermediate containers after a successful build", (v) => v !== "false", true)
            .option("--shm-size <bytes>", "Size of /dev/shm")
            .option("-t, --tag <list>", "Name and optionally a tag in the name:tag format", collect, [])
            .option("--target <string>", "Set the target build stage to build.")
            .action((p, o) => build(ctx, p, o));
    }
    builder
        .command("prune")
        .description("Remove build cache")
        .option("-a, --all", "Remove all unused build cache, not just dangling ones")
        .option("-f, --force", "Do not prompt for confirmation")
        .action(async (o) => {
        const r = await ctx.client().post("/build/prune", { all: o.all ? true : undefined });
        out(`Total reclaimed space: ${(await import("../format/units.js")).humanSize(r?.SpaceReclaimed ?? 0)}\n`);
    });
}
//# sourceMappingURL=build.js.map
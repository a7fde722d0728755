/**
 * The classic builder (`POST /build`, Builder-Version 1): each Dockerfile
 * step makes an image on top of the last. RUN runs in a real container
 * which is then committed; COPY/ADD write into a snapshot whose upper dir
 * becomes the layer; metadata steps add a history row without a layer.
 * A step is skipped (` ---> Using cache`) when the cache holds an image for
 * (parent image, instruction, source content).
 */
import { createHash, randomBytes } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { applyChange } from "../image/changes.js";
import { ingestLayer } from "../image/ingest.js";
import { familiar } from "../image/reference.js";
import { hostPlatform } from "../image/types.js";
import { diffTar } from "../layer/diff.js";
import { invalid } from "../util/errors.js";
import { readJson, writeJsonAtomic } from "../util/fs.js";
import { openContext, resolveSources } from "./context.js";
import { copyInto } from "./copy.js";
import { DockerfileError, expand, jsonForm, keyValues, parseDockerfile, } from "./dockerfile.js";
/** Label on the containers the builder runs for RUN: a crash mid-build leaves them behind. */
export const BUILD_RUN_LABEL = "io.berth.build.run";
const PROXY_ARGS = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];
export class Builder {
    d;
    constructor(d) {
        this.d = d;
    }
    async build(body, o, out) {
        const ctx = await openContext(this.d.tmpDir, body);
        try {
            const text = await readFile(join(ctx.dir, posix.normalize(`/${o.dockerfile}`)), "utf8").catch(() => {
                throw invalid(`Cannot locate specified Dockerfile: ${o.dockerfile}`);
            });
            let df;
            try {
                df = parseDockerfile(text, o.dockerfile);
            }
            catch (err) {
                if (err instanceof DockerfileError)
                    throw invalid(`failed to parse ${err.message}`);
                throw err;
            }
            return await this.run(df, ctx, o, out);
        }
        finally {
            await ctx.cleanup();
        }
    }
    async run(df, ctx, o, out) {
        const say = (s) => out({ stream: s });
        const meta = new Map();
        for (const a of df.metaArgs) {
            for (const [k, v] of keyValues(a.args, false))
                meta.set(k, o.buildArgs[k] ?? v ?? "");
        }
        let last = df.stages.length - 1;
        if (o.target) {
            last = df.stages.findIndex((s) => s.name === o.target.toLowerCase());
            if (last < 0)
                throw invalid(`failed to reach build target ${o.target} in Dockerfile`);
        }
        // Only the stages the target needs (FROM and COPY --from references).
        const needed = new Set([last]);
        const stageIndex = (ref) => {
            const byName = df.stages.findIndex((s) => s.name === ref.toLowerCase());
            if (byName >= 0)
                return byName;
            return /^\d+$/.test(ref) && Number(ref) < df.stages.length ? Number(ref) : -1;
        };
        for (let i = last; i >= 0; i--) {
            if (!needed.has(i))
                continue;
            const deps = [
                df.stages[i].from,
                ...df.stages[i].instructions.map((x) => x.flags.from).filter((f) => !!f),
            ];
            for (const dep of deps) {
                const j = stageIndex(expand(dep, (k) => meta.get(k)));
                if (j >= 0 && j < i)
                    needed.add(j);
            }
        }
        const total = df.metaArgs.length + df.stages.slice(0, last + 1).reduce((n, s) => n + 1 + s.instructions.length, 0);
        let step = df.metaArgs.length;
        for (let i = 0; i < df.metaArgs.length; i++)
            say(`Step ${i + 1}/${total} : ${df.metaArgs[i].original}\n`);
        const results = [];
        const used = new Set();
        for (let si = 0; si <= last; si++) {
            const stage = df.stages[si];
            if (!needed.has(si)) {
                step += 1 + stage.instructions.length;
                results.push(undefined);
                continue;
            }
            const fromRef = expand(stage.from, (k) => meta.get(k));
            say(`Step ${++step}/${total} : ${stage.fromInstr.original}\n`);
            const st = await this.base(fromRef, stageIndex(fromRef), results);
            say(` ---> ${st.imageId ? st.imageId.slice(7, 19) : ""}\n`);
            const onbuild = st.config.config?.OnBuild ?? [];
            if (st.config.config)
                st.config.config.OnBuild = null;
            for (const trig of onbuild) {
                say(`# Executing ${onbuild.length} build trigger${onbuild.length > 1 ? "s" : ""}\n`);
                const ins = parseDockerfile(`FROM scratch\n${trig}`).stages[0].instructions[0];
                await this.step(ins, st, ctx, o, out, results, stageIndex, meta, used);
            }
            for (const ins of stage.instructions) {
                say(`Step ${++step}/${total} : ${ins.original}\n`);
                await this.step(ins, st, ctx, o, out, results, stageIndex, meta, used);
            }
            if (si === last && Object.keys(o.labels).length) {
                await this.commitMeta(st, `LABEL ${Object.entries(o.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}`, (c) => {
                    c.Labels = { ...(c.Labels ?? {}), ...o.labels };
                }, o.noCache, out, true);
            }
            if (!st.imageId)
                st.imageId = (await this.d.images.create(st.config)).id;
            results.push(st.imageId);
        }
        const unused = Object.keys(o.buildArgs).filter((k) => !used.has(k) && !meta.has(k) && !PROXY_ARGS.includes(k));
        if (unused.length)
            say(`[Warning] One or more build-args [${unused.join(" ")}] were not consumed\n`);
        const id = results[last];
        out({ aux: { ID: id } });
        say(`Successfully built ${id.slice(7, 19)}\n`);
        for (const t of o.tags) {
            await this.d.images.tag(id, t);
            say(`Successfully tagged ${familiar(t)}\n`);
        }
        return id;
    }
    async base(ref, stage, results) {
        const plat = hostPlatform();
        if (ref === "scratch") {
            return {
                config: {
                    architecture: plat.architecture,
                    os: plat.os,
                    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
                    rootfs: { type: "layers", diff_ids: [] },
                    history: [],
                },
                args: new Map(),
                shell: ["/bin/sh", "-c"],
            };
        }
        const id = stage >= 0 && results[stage] ? results[stage] : this.d.images.store.resolve(ref).id;
        const rec = this.d.images.store.get(id);
        const config = structuredClone(await this.d.images.config(rec));
        return { imageId: id, config, args: new Map(), shell: config.config?.Shell ?? ["/bin/sh", "-c"] };
    }
    /** Env for expansion and RUN: the image's ENV, then the stage's ARGs (ENV wins). */
    env(st) {
        const m = new Map(st.args);
        for (const e of st.config.config?.Env ?? []) {
            const i = e.indexOf("=");
            m.set(e.slice(0, i), e.slice(i + 1));
        }
        return m;
    }
    async step(ins, st, ctx, o, out, results, stageIndex, meta, used) {
        const env = this.env(st);
        const x = (s) => expand(s, (k) => env.get(k), "\\");
        st.config.config ??= {};
        const c = st.config.config;
        const meta1 = (summary, fn) => this.commitMeta(st, summary, fn, o.noCache, out);
        switch (ins.cmd) {
            case "arg":
                for (const [k, v] of keyValues(ins.args, false)) {
                    const val = o.buildArgs[k] ?? (v !== undefined ? x(v) : meta.get(k));
                    if (k in o.buildArgs)
                        used.add(k);
                    if (val !== undefined)
                        st.args.set(k, val);
                }
                return meta1(`ARG ${ins.args}`, () => { });
            case "env": {
                const pairs = keyValues(x(ins.args), true);
                return meta1(`ENV ${pairs.map(([k, v]) => `${k}=${v ?? ""}`).join(" ")}`, (cfg) => {
                    for (const [k, v] of pairs)
                        applyChange(cfg, `ENV ${k}=${JSON.stringify(v ?? "")}`);
                });
            }
            case "label": {
                const pairs = keyValues(x(ins.args), true);
                return meta1(`LABEL ${pairs.map(([k, v]) => `${k}=${v ?? ""}`).join(" ")}`, (cfg) => {
                    cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(pairs.map(([k, v]) => [k, v ?? ""])) };
                });
            }
            case "maintainer":
                return this.commitMeta(st, `MAINTAINER ${ins.args}`, () => {
                    st.config.author = ins.args;
                }, o.noCache, out);
            case "expose":
            case "volume":
            case "stopsignal":
            case "user":
                return meta1(`${ins.cmd.toUpperCase()} ${x(ins.args)}`, (cfg) => applyChange(cfg, `${ins.cmd} ${x(ins.args)}`));
            case "onbuild":
                return meta1(`ONBUILD ${ins.args}`, (cfg) => applyChange(cfg, `ONBUILD ${ins.args}`));
            case "cmd":
            case "entrypoint": {
                const arr = jsonForm(ins.args) ?? [...st.shell, ins.args];
                const shown = `[${arr.map((a) => JSON.stringify(a)).join(" ")}]`;
                return meta1(`${ins.cmd.toUpperCase()} ${shown}`, (cfg) => {
                    if (ins.cmd === "cmd") {
                        cfg.Cmd = arr;
                        st.cmdSet = true;
                    }
                    else {
                        cfg.Entrypoint = arr;
                        // ENTRYPOINT resets a CMD inherited from the base image, as Docker does.
                        if (!st.cmdSet)
                            cfg.Cmd = null;
                    }
                });
            }
            case "shell": {
                const arr = jsonForm(ins.args);
                if (!arr)
                    throw invalid(`SHELL requires the arguments to be in JSON form`);
                st.shell = arr;
                return meta1(`SHELL [${arr.map((a) => JSON.stringify(a)).join(" ")}]`, (cfg) => {
                    cfg.Shell = arr;
                });
            }
            case "healthcheck":
                return meta1(`HEALTHCHECK ${ins.args}`, (cfg) => {
                    const t = ins.args.trim();
                    if (/^none$/i.test(t))
                        cfg.Healthcheck = { Test: ["NONE"] };
                    else {
                        const cmd = t.replace(/^cmd\s+/i, "");
                        const dur = (v) => (v ? parseDuration(v) : 0);
                        cfg.Healthcheck = {
                            Test: jsonForm(cmd) ? ["CMD", ...jsonForm(cmd)] : ["CMD-SHELL", cmd],
                            Interval: dur(ins.flags.interval),
                            Timeout: dur(ins.flags.timeout),
                            StartPeriod: dur(ins.flags["start-period"]),
                            Retries: ins.flags.retries ? Number(ins.flags.retries) : 0,
                        };
                    }
                });
            case "workdir": {
                const dir = posix.resolve(c.WorkingDir || "/", x(ins.args));
                c.WorkingDir = dir;
                return this.commitFs(st, `WORKDIR ${dir}`, o.noCache, out, async (root) => {
                    const { mkdir } = await import("node:fs/promises");
                    const { resolveInRoot } = await import("../engine/containers/fsviews.js");
                    await mkdir(await resolveInRoot(root, dir, true), { recursive: true });
                }, true);
            }
            case "copy":
            case "add":
                return this.copyStep(ins, st, ctx, o, out, results, stageIndex, x);
            case "run":
                return this.runStep(ins, st, o, out, used);
            case "from":
                throw invalid(`FROM inside a stage`);
            default:
                throw invalid(`unknown instruction: ${ins.cmd.toUpperCase()}`);
        }
    }
    // --- the cache ---
    async cacheGet(key) {
        const map = (await readJson(this.d.cachePath)) ?? {};
        const id = map[key];
        return id && this.d.images.store.get(id) ? id : undefined;
    }
    async cachePut(key, id) {
        const map = (await readJson(this.d.cachePath)) ?? {};
        map[key] = id;
        await writeJsonAtomic(this.d.cachePath, map);
    }
    cacheKey(st, ...parts) {
        return createHash("sha256")
            .update([st.imageId ?? "scratch", ...parts].join("\n"))
            .digest("hex");
    }
    async cached(st, key, noCache, out) {
        if (noCache)
            return false;
        const id = await this.cacheGet(key);
        if (!id)
            return false;
        out({ stream: " ---> Using cache\n" });
        out({ stream: ` ---> ${id.slice(7, 19)}\n` });
        st.imageId = id;
        st.config = structuredClone(await this.d.images.config(this.d.images.store.get(id)));
        return true;
    }
    async finish(st, key, out) {
        const rec = await this.d.images.create(st.config, st.imageId ? { parent: st.imageId } : {});
        st.imageId = rec.id;
        await this.cachePut(key, rec.id);
        out({ stream: ` ---> ${rec.id.slice(7, 19)}\n` });
    }
    historyRow(createdBy, empty) {
        return {
            created: new Date().toISOString(),
            created_by: createdBy,
            ...(empty ? { empty_layer: true } : {}),
        };
    }
    /** A step that only changes the config: a history row, no layer. */
    async commitMeta(st, summary, fn, noCache, out, silent = false) {
        const key = this.cacheKey(st, summary);
        if (!silent && (await this.cached(st, key, noCache, out)))
            return;
        st.config.config ??= {};
        const cfg = st.config.config;
        fn(cfg);
        st.config.created = new Date().toISOString();
        st.config.history = [
            ...(st.config.history ?? []),
            this.historyRow(`/bin/sh -c #(nop)  ${summary}`, true),
        ];
        if (silent) {
            st.imageId = (await this.d.images.create(st.config, st.imageId ? { parent: st.imageId } : {})).id;
            return;
        }
        await this.finish(st, key, out);
    }
    /** A step that writes files: a snapshot over the current image, its upper dir becomes the layer. */
    async commitFs(st, summary, noCache, out, write, emptyOk = false, key = this.cacheKey(st, summary)) {
        if (await this.cached(st, key, noCache, out))
            return;
        const snapId = `build-${randomBytes(8).toString("hex")}`;
        const parent = st.imageId
            ? await this.d.images.topLayer(this.d.images.store.get(st.imageId))
            : undefined;
        const snap = await this.d.snapshots.prepare(snapId, parent);
        try {
            const root = await this.d.snapshots.mount(snapId);
            await write(root);
            await this.d.snapshots.unmount(snapId);
            await this.addLayer(st, snap.upper, snap.lowers, `/bin/sh -c #(nop) ${summary}`, emptyOk);
        }
        finally {
            await this.d.snapshots.remove(snapId);
        }
        await this.finish(st, key, out);
    }
    async addLayer(st, upper, lowers, createdBy, emptyOk) {
        const empty = emptyOk && (await readdir(upper)).length === 0;
        if (!empty) {
            const parent = st.imageId
                ? await this.d.images.topLayer(this.d.images.store.get(st.imageId))
                : undefined;
            const layer = await ingestLayer(this.d.images.content, this.d.images.layers, parent, diffTar(upper, lowers));
            st.config.rootfs = { type: "layers", diff_ids: [...st.config.rootfs.diff_ids, layer.diffID] };
        }
        st.config.created = new Date().toISOString();
        st.config.history = [...(st.config.history ?? []), this.historyRow(createdBy, empty)];
    }
    async copyStep(ins, st, ctx, o, out, results, stageIndex, x) {
        const words = jsonForm(ins.args) ?? ins.args.split(/\s+/).filter(Boolean);
        if (words.length < 2 && ins.heredocs.length === 0)
            throw invalid(`${ins.cmd.toUpperCase()} requires at least two arguments`);
        const dest0 = x(words[words.length - 1]);
        const dest = posix.resolve(st.config.config?.WorkingDir || "/", dest0) + (dest0.endsWith("/") ? "/" : "");
        const srcWords = words.slice(0, -1).map(x);
        let srcRoot = ctx.dir;
        let fromSnap;
        if (ins.flags.from) {
            const ref = x(ins.flags.from);
            const idx = stageIndex(ref);
            const img = idx >= 0 ? results[idx] : this.d.images.store.resolve(ref).id;
            if (!img)
                throw invalid(`invalid from flag value ${ref}`);
            fromSnap = `build-from-${randomBytes(8).toString("hex")}`;
            await this.d.snapshots.prepare(fromSnap, await this.d.images.topLayer(this.d.images.store.get(img)));
            srcRoot = await this.d.snapshots.mount(fromSnap);
        }
        try {
            const { resolveInRoot } = await import("../engine/containers/fsviews.js");
            const sources = [];
            for (const w of srcWords) {
                const h = ins.heredocs.find((hd) => w === `<<${hd.name}` || w === `<<-${hd.name}`);
                if (h)
                    continue;
                if (fromSnap)
                    sources.push(await resolveInRoot(srcRoot, w, true));
                else
                    for (const rel of await resolveSources(ctx.dir, w, ctx.ignored))
                        sources.push(join(ctx.dir, rel));
            }
            const hash = createHash("sha256");
            for (const s of sources)
                await hashTree(s, hash);
            for (const h of ins.heredocs)
                hash.update(h.body);
            const chown = ins.flags.chown ? x(ins.flags.chown) : undefined;
            const mode = ins.flags.chmod ? Number.parseInt(ins.flags.chmod, 8) : undefined;
            const key = this.cacheKey(st, ins.original, hash.digest("hex"), chown ?? "", String(mode ?? ""));
            const summary = `${ins.cmd.toUpperCase()} ${srcWords.length === 1 ? "file" : "multi"}:${createHash("sha256").update(srcWords.join(" ")).digest("hex").slice(0, 12)} in ${dest0} `;
            await this.commitFs(st, summary, o.noCache, out, async (root) => {
                let uid;
                let gid;
                if (chown) {
                    const { resolveUser } = await import("../runtime/user.js");
                    const u = await resolveUser(root, chown);
                    uid = u.uid;
                    gid = chown.includes(":") ? u.gid : u.gid;
                }
                await copyInto(root, sources, dest, { uid, gid, mode, extract: ins.cmd === "add" });
                for (const h of ins.heredocs) {
                    const { writeFile, mkdir } = await import("node:fs/promises");
                    const target = await resolveInRoot(root, dest.endsWith("/") ? `${dest}${h.name}` : dest, true);
                    await mkdir(posix.dirname(target), { recursive: true });
                    await writeFile(target, h.body, { mode: mode ?? 0o644 });
                }
            }, false, key);
        }
        finally {
            if (fromSnap)
                await this.d.snapshots.remove(fromSnap);
        }
    }
    async runStep(ins, st, o, out, used) {
        const heredoc = ins.heredocs[0];
        const cmd = jsonForm(ins.args) ?? [...st.shell, heredoc ? heredoc.body : ins.args];
        const argEnv = [...st.args].filter(([k]) => !(st.config.config?.Env ?? []).some((e) => e.startsWith(`${k}=`)));
        for (const [k] of argEnv)
            if (k in o.buildArgs)
                used.add(k);
        const prefix = argEnv.length ? `|${argEnv.length} ${argEnv.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
        const createdBy = `${prefix}${cmd.join(" ")}`;
        const key = this.cacheKey(st, createdBy);
        if (await this.cached(st, key, o.noCache, out))
            return;
        const c = st.config.config ?? {};
        if (!st.imageId)
            st.imageId = (await this.d.images.create(st.config)).id;
        const { Id } = await this.d.containers.create({
            Image: st.imageId,
            Cmd: cmd,
            Entrypoint: [],
            Env: [...(c.Env ?? []), ...argEnv.map(([k, v]) => `${k}=${v}`)],
            User: c.User ?? "",
            WorkingDir: c.WorkingDir ?? "",
            // Marks it for removal at start if berthd dies mid-RUN.
            Labels: { [BUILD_RUN_LABEL]: "1" },
            HostConfig: { NetworkMode: "none" },
        });
        out({ stream: ` ---> Running in ${Id.slice(0, 12)}\n` });
        try {
            await this.d.containers.start(Id);
            const { Writable } = await import("node:stream");
            const sink = new Writable({
                write(chunk, _e, cb) {
                    out({ stream: chunk.toString() });
                    cb();
                },
            });
            const ac = new AbortController();
            await this.d.containers.logs(Id, sink, { stdout: true, stderr: true, follow: true, timestamps: false }, ac.signal);
            const { StatusCode } = await this.d.containers.wait(Id, "not-running");
            if (StatusCode !== 0) {
                throw invalid(`The command '${cmd.join(" ")}' returned a non-zero code: ${StatusCode}`);
            }
            const rec = this.d.containers.d.store.resolve(Id);
            const snap = await this.d.snapshots.get(rec.id);
            await this.addLayer(st, snap.upper, snap.lowers, createdBy, false);
            await this.finish(st, key, out);
        }
        finally {
            await this.d.containers.remove(Id, { force: true });
            out({ stream: `Removing intermediate container ${Id.slice(0, 12)}\n` });
        }
    }
}
/** Content hash of a source tree: paths, modes, link targets and file contents. */
async function hashTree(path, h, rel = "") {
    const st = await lstat(path);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isDirectory()) {
        for (const n of (await readdir(path)).sort())
            await hashTree(join(path, n), h, `${rel}/${n}`);
    }
    else if (st.isSymbolicLink()) {
        h.update(await (await import("node:fs/promises")).readlink(path));
    }
    else if (st.isFile()) {
        h.update(await readFile(path));
    }
}
/** Go duration strings (30s, 1m30s, 500ms) to nanoseconds. */
function parseDuration(s) {
    const units = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    let total = 0;
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
        total += Number(m[1]) * units[m[2]];
    return Math.round(total);
}
//# sourceMappingURL=builder.js.map
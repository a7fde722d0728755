/**
 * The classic builder (`POST /build`, Builder-Version 1): each Dockerfile
 * step makes an image on top of the last (handlers in `dispatch.ts`). The
 * stages the target needs form a graph (FROM, COPY --from, RUN
 * --mount=from=); each starts as soon as the stages it uses are built, so
 * independent stages run in parallel, while the output stays in Dockerfile
 * order (a later stage's lines wait until the earlier stages finished).
 * A step is skipped (` ---> Using cache`) when the cache (`cache.ts`) holds
 * an image for its parent image, instruction and sources.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { hostPlatform, type ImageConfig } from "../image/types.js";
import { invalid } from "../util/errors.js";
import type { BuilderBackend } from "./backend.js";
import { BuildCache } from "./cache.js";
import { CacheFrom } from "./cachefrom.js";
import { commitMeta } from "./commit.js";
import { type BuildContext, contextOf, openContext, readInTree } from "./context.js";
import { dispatch } from "./dispatch.js";
import { type Dockerfile, DockerfileError, parseDockerfile, type Stage } from "./dockerfile.js";
import { cloneGit, isGitURL } from "./remote.js";
import { keyValues, processWord } from "./shell.js";
import type { BuildOptions, Out, StageState, StepContext } from "./types.js";

export type { BuildOptions } from "./types.js";

export interface BuilderDeps {
  backend: BuilderBackend;
  /** `<root>/builder`: the cache map, file-hash memo and cache mounts. */
  cacheDir: string;
  tmpDir: string;
  /** For RUN --mount=type=secret files while a step runs (the daemon's exec root). */
  secretDir: string;
  /** Debug log of each build's facts (context files hashed vs reused from stat data). */
  log?: (facts: object, msg: string) => void;
}

const PROXY_ARGS = new Set(
  ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"].flatMap((k) => [k, k.toLowerCase()]),
);

/** Docker's default PATH (moby's `oci.DefaultPathEnv` for Linux), written when the base has none. */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class Builder {
  readonly cache: BuildCache;

  constructor(private readonly d: BuilderDeps) {
    this.cache = new BuildCache(d.cacheDir);
  }

  /**
   * Builds from a context tar (`body`) or a remote context (`remote`: a git
   * repository, a tarball or a Dockerfile URL). Streams JSON messages to
   * `out`; returns the image ID. Throws InvalidParameter for a bad
   * Dockerfile or a failed step (nothing is tagged then).
   */
  async build(body: Readable, o: BuildOptions & { remote?: string }, out: Out): Promise<string> {
    const ctx = await this.openContext(body, o.remote, o.signal);
    try {
      // Resolved inside the context: a Dockerfile linked to a host file is not found.
      const text = await readInTree(ctx.fd, o.dockerfile).catch(() => {
        throw invalid(`Cannot locate specified Dockerfile: ${o.dockerfile}`);
      });
      let df: Dockerfile;
      try {
        df = parseDockerfile(text, o.dockerfile);
      } catch (err) {
        if (err instanceof DockerfileError) throw invalid(`failed to parse ${err.message}`);
        throw err;
      }
      if (df.directives.syntax)
        out({
          stream: `# syntax=${df.directives.syntax}: berth uses its own Dockerfile frontend; the syntax image is not pulled\n`,
        });
      return await this.run(df, ctx, o, out);
    } finally {
      await this.cache.saveMemo().catch(() => {});
      await ctx.cleanup();
    }
  }

  private async openContext(
    body: Readable,
    remote: string | undefined,
    signal?: AbortSignal,
  ): Promise<BuildContext> {
    if (!remote) return openContext(this.d.tmpDir, body);
    if (isGitURL(remote)) {
      const g = await cloneGit(remote, this.d.tmpDir);
      return contextOf(g.path, () => rm(g.dir, { recursive: true, force: true }));
    }
    if (!/^https?:\/\//.test(remote))
      throw invalid(`unable to prepare context: unsupported remote ${remote}`);
    const res = await fetch(remote, { signal }).catch((err: Error) => {
      throw invalid(`unable to prepare context: ${err.message}`);
    });
    if (!res.ok || !res.body) throw invalid(`unable to prepare context: GET ${remote}: ${res.status}`);
    const data = Buffer.from(await res.arrayBuffer());
    const tarLike =
      (data.length > 262 && data.subarray(257, 262).toString() === "ustar") ||
      (data[0] === 0x1f && data[1] === 0x8b) ||
      (data[0] === 0x42 && data[1] === 0x5a) ||
      (data[0] === 0xfd && data[1] === 0x37);
    if (tarLike) return openContext(this.d.tmpDir, Readable.from([data]));
    // A plain file is the Dockerfile, in an otherwise empty context.
    const ctx = await openContext(this.d.tmpDir, Readable.from([Buffer.alloc(1024)]));
    await writeFile(join(ctx.dir, "Dockerfile"), data);
    return ctx;
  }

  /** `POST /build/prune`: the build cache only (steps and cache mounts). */
  prune() {
    return this.cache.prune();
  }

  private async run(df: Dockerfile, ctx: BuildContext, o: BuildOptions, out: Out): Promise<string> {
    const meta = new Map<string, string>();
    for (const a of df.metaArgs) {
      for (const [k, v] of keyValues(a.args, false, (n) => meta.get(n), df.escape))
        meta.set(k, o.buildArgs[k] ?? v ?? "");
    }
    let last = df.stages.length - 1;
    if (o.target) {
      last = df.stages.findIndex((s) => s.name === o.target!.toLowerCase());
      if (last < 0) throw invalid(`failed to reach build target ${o.target} in Dockerfile`);
    }
    const stageIndex = (ref: string, before: number) => {
      const byName = df.stages.findIndex((s) => s.name === ref.toLowerCase());
      if (byName >= 0) return byName < before ? byName : -1;
      return /^\d+$/.test(ref) && Number(ref) < before ? Number(ref) : -1;
    };
    const metaWord = (s: string) => processWord(s, (k) => meta.get(k), df.escape);
    // The stages the target needs: FROM, COPY --from and RUN --mount from= references.
    const deps = (i: number): number[] => {
      const s = df.stages[i]!;
      const refs = [metaWord(s.from)];
      for (const ins of s.instructions) {
        if (ins.flags.from) refs.push(metaWord(ins.flags.from));
        for (const [f, v] of ins.flagList)
          if (f === "mount")
            for (const m of /(?:^|,)from=([^,]+)/.exec(v)?.slice(1) ?? []) refs.push(metaWord(m));
      }
      return refs.map((r) => stageIndex(r, i)).filter((j) => j >= 0);
    };
    const needed = new Set<number>([last]);
    for (let i = last; i >= 0; i--) if (needed.has(i)) for (const j of deps(i)) needed.add(j);

    const total =
      df.metaArgs.length + df.stages.slice(0, last + 1).reduce((n, s) => n + 1 + s.instructions.length, 0);
    for (let i = 0; i < df.metaArgs.length; i++)
      out({ stream: `Step ${i + 1}/${total} : ${df.metaArgs[i]!.original}\n` });
    const firstStep: number[] = [];
    let step = df.metaArgs.length;
    for (let si = 0; si <= last; si++) {
      firstStep.push(step);
      step += 1 + df.stages[si]!.instructions.length;
    }

    // Output in stage order: a stage's messages wait in its buffer until the stages before it are done.
    const order = [...needed].sort((a, b) => a - b);
    const buffers = new Map<number, object[]>(order.map((i) => [i, []]));
    const finished = new Set<number>();
    let cur = 0;
    const emit = (si: number, msg: object) => (order[cur] === si ? out(msg) : buffers.get(si)!.push(msg));
    const flushFrom = () => {
      while (cur < order.length) {
        for (const m of buffers.get(order[cur]!)!.splice(0)) out(m);
        if (!finished.has(order[cur]!)) return;
        cur++;
      }
    };

    const ac = new AbortController();
    const onAbort = () => ac.abort();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    const used = new Set<string>();
    const sources: { id: string; config: ImageConfig }[] = [];
    for (const ref of o.cacheFrom) {
      // As moby: a --cache-from image that isn't here is skipped.
      const id = await this.d.backend
        .resolveImage(ref, { pull: false, say: () => {} })
        .catch(() => undefined);
      if (id) sources.push({ id, config: await this.d.backend.imageConfig(id) });
      else out({ stream: `cache-from image ${ref} not found locally, not used\n` });
    }
    const cacheFrom = new CacheFrom(sources);
    const hashStats = { read: 0, reused: 0 };
    const results = new Map<number, Promise<string>>();
    const runStage = async (si: number): Promise<string> => {
      const stage = df.stages[si]!;
      const say = (s: string) => emit(si, { stream: s });
      const c: StepContext = {
        o: { ...o, signal: ac.signal },
        backend: this.d.backend,
        cache: this.cache,
        cacheFrom,
        ctx,
        esc: df.escape,
        meta,
        used,
        say,
        tmpDir: this.d.tmpDir,
        secretDir: this.d.secretDir,
        hashStats,
        stageImage: (ref) => {
          const j = stageIndex(ref, si);
          return j >= 0 ? results.get(j) : undefined;
        },
      };
      let n = firstStep[si]!;
      say(`Step ${++n}/${total} : ${stage.fromInstr.original}\n`);
      const st = await this.base(stage, c, metaWord);
      say(` ---> ${st.imageId ? st.imageId.slice(7, 19) : ""}\n`);
      const onbuild = st.config.config?.OnBuild ?? [];
      if (st.config.config) st.config.config.OnBuild = null;
      for (const trig of onbuild) {
        say(`# Executing ${onbuild.length} build trigger${onbuild.length > 1 ? "s" : ""}\n`);
        const ins = parseDockerfile(`FROM scratch\n${trig}`).stages[0]!.instructions[0]!;
        await dispatch(ins, st, c);
      }
      for (const ins of stage.instructions) {
        if (ac.signal.aborted) throw invalid("build canceled");
        say(`Step ${++n}/${total} : ${ins.original}\n`);
        await dispatch(ins, st, c);
      }
      if (si === last && Object.keys(o.labels).length) {
        const summary = `LABEL ${Object.entries(o.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`;
        await commitMeta(
          st,
          summary,
          (cfg) => {
            cfg.Labels = { ...(cfg.Labels ?? {}), ...o.labels };
          },
          c,
          true,
        );
      }
      st.imageId ??= await this.d.backend.createImage(st.config);
      return st.imageId;
    };
    let firstError: unknown;
    for (const si of order) {
      const p = (async () => {
        // Wait for the stages this one uses.
        await Promise.all(deps(si).map((j) => results.get(j)));
        return runStage(si);
      })();
      p.then(
        () => {
          finished.add(si);
          flushFrom();
        },
        (err) => {
          firstError ??= err;
          ac.abort();
        },
      );
      results.set(si, p);
    }
    await Promise.allSettled(results.values());
    o.signal?.removeEventListener("abort", onAbort);
    this.d.log?.(
      { contextFilesRead: hashStats.read, contextFilesFromStat: hashStats.reused },
      "build sources hashed",
    );
    if (firstError) {
      // Show what every stage printed up to the failure.
      for (const si of order.slice(cur)) for (const m of buffers.get(si)!.splice(0)) out(m);
      throw firstError;
    }
    const unused = Object.keys(o.buildArgs).filter((k) => !used.has(k) && !meta.has(k) && !PROXY_ARGS.has(k));
    if (unused.length)
      out({ stream: `[Warning] One or more build-args [${unused.join(" ")}] were not consumed\n` });
    const id = await results.get(last)!;
    out({ aux: { ID: id } });
    out({ stream: `Successfully built ${id.slice(7, 19)}\n` });
    for (const t of o.tags) out({ stream: `Successfully tagged ${await this.d.backend.tag(id, t)}\n` });
    return id;
  }

  /** A stage's starting state: scratch, an earlier stage's image, or an image (pulled if needed). */
  private async base(stage: Stage, c: StepContext, metaWord: (s: string) => string): Promise<StageState> {
    const ref = metaWord(stage.from);
    const plat = hostPlatform();
    if (ref === "scratch") {
      return {
        config: {
          architecture: plat.architecture,
          os: plat.os,
          config: { Env: [DEFAULT_PATH] },
          rootfs: { type: "layers", diff_ids: [] },
          history: [],
        },
        args: new Map(),
        shell: ["/bin/sh", "-c"],
      };
    }
    if (stage.fromInstr.flags.platform) {
      const want = metaWord(stage.fromInstr.flags.platform);
      if (want !== `${plat.os}/${plat.architecture}` && want !== plat.os)
        throw invalid(`FROM --platform=${want}: berth builds for ${plat.os}/${plat.architecture} only`);
    }
    const id =
      (await c.stageImage(ref)) ??
      (await c.backend.resolveImage(ref, {
        pull: c.o.pull,
        platform: c.o.platform,
        say: c.say,
        signal: c.o.signal,
      }));
    const config = await c.backend.imageConfig(id);
    config.config ??= {};
    // Docker's builder adds the default PATH when the base image has none.
    if (!(config.config.Env ?? []).some((e) => e.startsWith("PATH=")))
      config.config.Env = [...(config.config.Env ?? []), DEFAULT_PATH];
    return { imageId: id, config, args: new Map(), shell: config.config.Shell ?? ["/bin/sh", "-c"] };
  }
}

/**
 * build: tars the context (respecting .dockerignore), posts it to /build
 * (the classic builder), prints the `stream` messages with each step's time,
 * and fails on an `error` message.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import ignoreMod, { type Ignore } from "@balena/dockerignore";
import type { Command } from "commander";
import tar from "tar-stream";
import { CliError, readBody } from "../client.js";
import type { J } from "../json.js";
import { ramInBytes } from "../opts/units.js";
import { type JSONMessage, jsonValues } from "../stream.js";
import { type Ctx, collect, out } from "./common.js";

// A CommonJS module whose typings declare an ES default export: take whichever is callable.
const ignore = ((ignoreMod as unknown as { default?: unknown }).default ?? ignoreMod) as (o?: {
  ignorecase?: boolean;
}) => Ignore;

/** Lists the context's files (relative paths, sorted) that .dockerignore keeps. */
export async function contextFiles(dir: string, dockerfile: string): Promise<string[]> {
  let patterns: string[] = [];
  try {
    patterns = (await readFile(join(dir, ".dockerignore"), "utf8"))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
  } catch {
    // no .dockerignore
  }
  const ig = ignore({ ignorecase: false }).add(patterns);
  const keepAlways = new Set([dockerfile, ".dockerignore"]);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      const ignored = ig.ignores(p) && !keepAlways.has(p);
      if (e.isDirectory()) {
        // A directory is entered even when ignored: a later "!" pattern may keep something inside.
        if (!ignored) out.push(p);
        await walk(p);
      } else if (!ignored) out.push(p);
    }
  };
  await walk("");
  return out;
}

/** Streams the context directory as a tar. */
export function tarContext(dir: string, files: string[], extra?: { name: string; data: Buffer }): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for (const f of files) {
        const full = join(dir, f);
        const st = await lstat(full);
        const common = { name: f, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
        if (st.isDirectory()) pack.entry({ ...common, type: "directory" });
        else if (st.isSymbolicLink())
          pack.entry({ ...common, type: "symlink", linkname: await readlink(full) });
        else if (st.isFile()) {
          const entry = pack.entry({ ...common, size: st.size });
          await pipeline(createReadStream(full), entry as unknown as NodeJS.WritableStream);
        }
      }
      if (extra) pack.entry({ name: extra.name, mode: 0o600, mtime: new Date() }, extra.data);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
  })();
  return pack as unknown as Readable;
}

function isTar(b: Buffer): boolean {
  return (
    (b.length > 262 && b.subarray(257, 262).toString() === "ustar") ||
    (b[0] === 0x1f && b[1] === 0x8b) ||
    (b[0] === 0x42 && b[1] === 0x5a) ||
    (b[0] === 0xfd && b[1] === 0x37)
  );
}

function buildArgs(list: string[]): Record<string, string | null> {
  const m: Record<string, string | null> = {};
  for (const a of list) {
    const i = a.indexOf("=");
    if (i >= 0) m[a.slice(0, i)] = a.slice(i + 1);
    else m[a] = process.env[a] ?? null;
  }
  return m;
}

/**
 * `--secret id=x,src=FILE` (or env=VAR; `type=file|env`, `source=` as
 * BuildKit spells them) to the X-Berth-Build-Secrets header: base64 JSON of
 * id -> base64 data. Never sent in the context or the query.
 */
async function secretsHeader(list: string[]): Promise<string | undefined> {
  if (!list.length) return undefined;
  const out: Record<string, string> = {};
  for (const spec of list) {
    const f: Record<string, string> = {};
    for (const kv of spec.split(",")) {
      const i = kv.indexOf("=");
      f[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? "" : kv.slice(i + 1);
    }
    const id = f.id;
    if (!id) throw new CliError(`invalid secret ${spec}: id is required`);
    const src = f.src ?? f.source;
    let data: Buffer;
    if (f.env !== undefined || f.type === "env") {
      const v = process.env[f.env || src || id];
      if (v === undefined)
        throw new CliError(`secret ${id}: environment variable ${f.env || src || id} is not set`);
      data = Buffer.from(v);
    } else {
      data = await readFile(src ?? id).catch((e: Error) => {
        throw new CliError(`failed to read secret ${id}: ${e.message}`);
      });
    }
    out[id] = data.toString("base64");
  }
  return Buffer.from(JSON.stringify(out)).toString("base64");
}

async function build(ctx: Ctx, context: string, o: J): Promise<void> {
  let body: Readable;
  let dockerfile: string = o.file ?? "";
  const secrets = await secretsHeader(o.secret);
  let remote: string | undefined;
  if (/^(https?:\/\/|git@|git:\/\/)/.test(context)) {
    remote = context;
    body = Readable.from([]);
  } else if (context === "-") {
    const data = await readBody(process.stdin);
    if (isTar(data)) body = Readable.from([data]);
    else {
      if (o.file)
        throw new CliError("ambiguous Dockerfile source: both stdin and flag correspond to Dockerfiles");
      body = tarContext("/", [], { name: "Dockerfile", data });
      dockerfile = "Dockerfile";
    }
  } else {
    const dir = resolve(context);
    const st = await lstat(dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new CliError(`unable to prepare context: path "${context}" not found`);
    let extra: { name: string; data: Buffer } | undefined;
    if (dockerfile === "-") {
      extra = {
        name: `.dockerfile.${Math.random().toString(16).slice(2, 14)}`,
        data: await readBody(process.stdin),
      };
      dockerfile = extra.name;
    } else {
      const df = resolve(
        dockerfile
          ? dockerfile.startsWith("/")
            ? dockerfile
            : resolve(process.cwd(), dockerfile)
          : join(dir, "Dockerfile"),
      );
      const rel = relative(dir, df);
      if (rel.startsWith("..") || rel.startsWith(sep)) {
        extra = { name: `.dockerfile.${Math.random().toString(16).slice(2, 14)}`, data: await readFile(df) };
        dockerfile = extra.name;
      } else {
        if (!(await lstat(df).catch(() => undefined)))
          throw new CliError(
            `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${df}: no such file or directory`,
          );
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
        ? JSON.stringify(
            Object.fromEntries(
              o.label.map((l: string) =>
                l.includes("=") ? [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] : [l, ""],
              ),
            ),
          )
        : undefined,
      q: o.quiet ? true : undefined,
      pull: o.pull ? true : undefined,
      networkmode: o.network,
      extrahosts: o.addHost.length ? o.addHost.join(",") : undefined,
      remote,
      cpushares: o.cpuShares,
      cpusetcpus: o.cpusetCpus,
      cpusetmems: o.cpusetMems,
      cpuperiod: o.cpuPeriod,
      cpuquota: o.cpuQuota,
      memswap: o.memorySwap ? (o.memorySwap === "-1" ? -1 : ramInBytes(o.memorySwap)) : undefined,
      cgroupparent: o.cgroupParent,
      shmsize: o.shmSize ? ramInBytes(o.shmSize) : undefined,
      platform: o.platform,
      rm: o.rm !== false,
      forcerm: o.forceRm ? true : undefined,
      cachefrom: o.cacheFrom.length ? JSON.stringify(o.cacheFrom) : undefined,
      memory: o.memory ? ramInBytes(o.memory) : undefined,
    },
    body,
    headers: {
      "Content-Type": "application/x-tar",
      ...(secrets ? { "X-Berth-Build-Secrets": secrets } : {}),
    },
  });
  let imageId = "";
  let stepStart = 0;
  let step = "";
  const endStep = () => {
    if (step && !o.quiet)
      process.stderr.write(`${step} took ${((Date.now() - stepStart) / 1000).toFixed(2)}s\n`);
  };
  for await (const m of jsonValues<JSONMessage & { aux?: J }>(res)) {
    if (m.error || m.errorDetail) {
      endStep();
      throw new CliError(m.errorDetail?.message || m.error || "build failed", m.errorDetail?.code || 1);
    }
    if (m.aux?.ID) imageId = String(m.aux.ID);
    if (m.stream !== undefined) {
      const s = /^(Step \d+\/\d+) :/.exec(m.stream);
      if (s) {
        endStep();
        step = s[1];
        stepStart = Date.now();
      }
      if (!o.quiet) out(m.stream);
    } else if (m.status && !o.quiet) out(`${m.status}\n`);
  }
  endStep();
  if (o.quiet) out(`${imageId || ""}\n`);
  if (o.iidfile) await writeFile(o.iidfile, imageId);
}

export function registerBuild(program: Command, ctx: Ctx): void {
  const image = program.commands.find((c) => c.name() === "image") ?? program.command("image");
  const builder = program.command("builder").description("Manage builds");
  for (const c of [program.command("build"), image.command("build"), builder.command("build")]) {
    c.description("Build an image from a Dockerfile")
      .argument("<path|URL|->")
      .option("--add-host <list>", "Add a custom host-to-IP mapping (host:ip)", collect, [])
      .option("--build-arg <list>", "Set build-time variables", collect, [])
      .option("--cache-from <strings>", "Images to consider as cache sources", collect, [])
      .option("--cgroup-parent <string>", "Set the parent cgroup for the RUN instructions during build")
      .option("--cpu-period <int>", "Limit the CPU CFS (Completely Fair Scheduler) period")
      .option("--cpu-quota <int>", "Limit the CPU CFS (Completely Fair Scheduler) quota")
      .option("-c, --cpu-shares <int>", "CPU shares (relative weight)")
      .option("--cpuset-cpus <string>", "CPUs in which to allow execution (0-3, 0,1)")
      .option("--cpuset-mems <string>", "MEMs in which to allow execution (0-3, 0,1)")
      .option("--memory-swap <bytes>", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
      .option(
        "--secret <stringArray>",
        "Secret to expose to the build (id=mysecret,src=/local/secret)",
        collect,
        [],
      )
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
      .option(
        "--rm [bool]",
        "Remove intermediate containers after a successful build",
        (v) => v !== "false",
        true,
      )
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
      const r = await ctx.client().post<J>("/build/prune", { all: o.all ? true : undefined });
      out(
        `Total reclaimed space: ${(await import("../format/units.js")).humanSize(r?.SpaceReclaimed ?? 0)}\n`,
      );
    });
}

/** cp, export, diff, commit: a container's filesystem through the archive API. */
import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { extractArchive } from "../../layer/apply.js";
import { CliError, DaemonError } from "../client.js";
import {
  assertsDirectory,
  type CopyInfo,
  copyInfoDestinationPath,
  copyInfoSourcePath,
  getRebaseName,
  prepareArchiveCopy,
  rebaseArchiveEntries,
  splitPathDirEntry,
  tarResource,
} from "../copyinfo.js";
import type { J } from "../json.js";
import { type Ctx, collect, out } from "./common.js";

const enc = encodeURIComponent;

function splitCp(arg: string): { container?: string; path: string } {
  if (arg.startsWith("/") || arg.startsWith(".") || arg === "-") return { path: arg };
  const i = arg.indexOf(":");
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** X-Docker-Container-Path-Stat of a container path, or undefined when it does not exist. */
async function statPath(
  c: ReturnType<Ctx["client"]>,
  container: string,
  path: string,
): Promise<{ mode: number; linkTarget: string } | undefined> {
  try {
    const r = await c.request("HEAD", `/containers/${enc(container)}/archive`, { query: { path } });
    r.resume();
    const raw = Buffer.from(String(r.headers["x-docker-container-path-stat"] ?? ""), "base64").toString();
    return JSON.parse(raw || "{}");
  } catch (e) {
    if (e instanceof DaemonError && e.statusCode === 404 && !/No such container/i.test(e.daemonMessage))
      return undefined;
    throw e;
  }
}

const GO_DIR = 0x80000000;
const GO_SYMLINK = 0x8000000;
const isDirMode = (m: number) => (m & GO_DIR) !== 0;

/** `docker cp`, following the docker CLI's cp.go over Docker's copy rules (../copyinfo.ts). */
async function cp(ctx: Ctx, srcArg: string, dstArg: string, o: J): Promise<void> {
  const src = splitCp(srcArg);
  const dst = splitCp(dstArg);
  const c = ctx.client();
  if (src.container && dst.container) throw new CliError("copying between containers is not supported");
  if (!src.container && !dst.container) throw new CliError("must specify at least one container source");
  if (src.container) {
    let srcPath = src.path;
    let rebaseName: string | undefined;
    if (o.followLink) {
      const st = await statPath(c, src.container, srcPath);
      if (st && st.mode & GO_SYMLINK) {
        const target = posix.isAbsolute(st.linkTarget)
          ? st.linkTarget
          : posix.join(splitPathDirEntry(srcPath)[0], st.linkTarget);
        [srcPath, rebaseName] = getRebaseName(srcPath, target);
      }
    }
    let res: Awaited<ReturnType<typeof c.request>>;
    try {
      res = await c.request("GET", `/containers/${enc(src.container)}/archive`, { query: { path: srcPath } });
    } catch (e) {
      if (e instanceof DaemonError && e.statusCode === 404 && !/No such container/i.test(e.daemonMessage))
        throw new CliError(
          `Error response from daemon: Could not find the file ${src.path} in container ${src.container}`,
        );
      throw e;
    }
    if (dst.path === "-") {
      await pipeline(res, process.stdout, { end: false });
      return;
    }
    const raw = Buffer.from(String(res.headers["x-docker-container-path-stat"] ?? ""), "base64").toString();
    const stat = JSON.parse(raw || "{}") as { mode?: number };
    const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: isDirMode(stat.mode ?? 0), rebaseName };
    let content: NodeJS.ReadableStream = res;
    if (rebaseName) content = rebaseArchiveEntries(res, splitPathDirEntry(srcPath)[1], rebaseName);
    const dstInfo = await copyInfoDestinationPath(
      posix.resolve(dst.path) + (assertsDirectory(dst.path) ? "/" : ""),
    );
    const { dir, archive } = prepareArchiveCopy(content, srcInfo, dstInfo);
    // Entries never leave `dir` nor write through a link (layer/apply.ts); owners are the caller's.
    await extractArchive(archive as Readable, dir, { noOverwriteDirNonDir: true, preserveOwners: false });
    return;
  }
  // Host → container.
  const container = dst.container as string;
  let dstInfo: CopyInfo = { path: dst.path, exists: false, isDir: false };
  let st = await statPath(c, container, dst.path);
  if (st && st.mode & GO_SYMLINK) {
    const target = posix.isAbsolute(st.linkTarget)
      ? st.linkTarget
      : posix.join(splitPathDirEntry(dst.path)[0], st.linkTarget);
    dstInfo.path = target;
    st = await statPath(c, container, target);
  }
  if (st) {
    // Docker's ValidateOutputPathFileMode: a device or an irregular file.
    if (st.mode & (0x4000000 | 0x80000))
      throw new CliError(`destination "${container}:${dst.path}" must be a directory or a regular file`);
    dstInfo = { ...dstInfo, exists: true, isDir: isDirMode(st.mode) };
  }
  let body: NodeJS.ReadableStream;
  let path: string;
  if (src.path === "-") {
    if (!dstInfo.isDir) throw new CliError(`destination "${container}:${dst.path}" must be a directory`);
    body = process.stdin;
    path = dstInfo.path;
  } else {
    const srcInfo = await copyInfoSourcePath(
      posix.resolve(src.path) + (src.path.endsWith("/.") ? "/." : src.path.endsWith("/") ? "/" : ""),
      !!o.followLink,
    );
    const prepared = prepareArchiveCopy(tarResource(srcInfo), srcInfo, dstInfo);
    body = prepared.archive;
    path = prepared.dir;
  }
  await c.json("PUT", `/containers/${enc(container)}/archive`, {
    query: { path, noOverwriteDirNonDir: true, copyUIDGID: o.archive ? true : undefined },
    body: body as never,
    headers: { "Content-Type": "application/x-tar" },
  });
}

async function exportCmd(ctx: Ctx, name: string, o: J): Promise<void> {
  if (!o.output && process.stdout.isTTY)
    throw new CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  const res = await ctx.client().request("GET", `/containers/${enc(name)}/export`);
  if (o.output) {
    const tmp = `${o.output}.berth-tmp-${process.pid}`;
    await pipeline(res, createWriteStream(tmp));
    await rename(tmp, o.output);
  } else await pipeline(res, process.stdout, { end: false });
}

async function diff(ctx: Ctx, name: string): Promise<void> {
  const changes = (await ctx.client().get<J[]>(`/containers/${enc(name)}/changes`)) ?? [];
  const kinds = ["C", "A", "D"];
  for (const ch of changes) out(`${kinds[ch.Kind] ?? "?"} ${ch.Path}\n`);
}

async function commit(ctx: Ctx, name: string, ref: string | undefined, o: J): Promise<void> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (ref) {
    const slash = ref.lastIndexOf("/");
    const colon = ref.lastIndexOf(":");
    if (colon > slash) [repo, tag] = [ref.slice(0, colon), ref.slice(colon + 1)];
    else repo = ref;
  }
  const r = await ctx.client().post<J>(
    "/commit",
    {
      container: name,
      repo,
      tag,
      comment: o.message,
      author: o.author,
      pause: o.pause !== false,
      changes: o.change.length ? o.change : undefined,
    },
    {},
  );
  out(`${r.Id}\n`);
}

export function register(program: Command, ctx: Ctx): void {
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

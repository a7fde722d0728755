/**
 * COPY and ADD: sources from the context, a stage or an image (`--from`),
 * heredocs, and for ADD http(s) URLs (`--checksum`) and git repositories;
 * `--chown`, `--chmod`, `--parents` (keep the source's directories, from
 * a `/./` pivot on), `--exclude` (dockerignore patterns) and `--link`
 * (accepted: berth's layers are always rebuilt from the files, so the result
 * is the same). The cache key hashes the sources (context files by stat data).
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, posix, relative } from "node:path";
import { resolveInRoot } from "../layer/rootpath.js";
import { resolveUser } from "../runtime/user.js";
import { invalid } from "../util/errors.js";
import { commitFiles } from "./commit.js";
import { resolveSources } from "./context.js";
import { copyInto } from "./copy.js";
import { jsonForm } from "./dockerfile.js";
import { cloneGit, download, isGitURL, isURL } from "./remote.js";
import { processWord, processWords } from "./shell.js";
import type { Handler } from "./types.js";

const require = createRequire(import.meta.url);
const dockerignore = require("@balena/dockerignore") as (o?: object) => {
  add(p: string[] | string): unknown;
  ignores(p: string): boolean;
};

const COPY_FLAGS = new Set(["from", "chown", "chmod", "link", "parents", "exclude"]);
const ADD_FLAGS = new Set(["chown", "chmod", "link", "exclude", "checksum", "keep-git-dir"]);

interface Source {
  path: string;
  /** Where it goes under the destination with --parents ("" otherwise). */
  keep: string;
  /** ADD of a local tar archive extracts it (never a downloaded file). */
  extract: boolean;
}

export const copy: Handler = async (ins, st, c) => {
  const isAdd = ins.cmd === "add";
  for (const [f] of ins.flagList) {
    if (!(isAdd ? ADD_FLAGS : COPY_FLAGS).has(f))
      throw invalid(`${ins.cmd.toUpperCase()} --${f} is not supported by berth's builder`);
  }
  const env = new Map<string, string>(st.args);
  for (const e of st.config.config?.Env ?? [])
    env.set(e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1));
  const lookup = (k: string) => env.get(k);
  const x = (s: string) => processWord(s, lookup, c.esc);
  const json = jsonForm(ins.args);
  const words = json ? json.map(x) : processWords(ins.args, lookup, c.esc);
  if (words.length < 2 && ins.heredocs.length === 0)
    throw invalid(`${ins.cmd.toUpperCase()} requires at least two arguments`);
  const dest0 = words[words.length - 1]!;
  const dest = posix.resolve(st.config.config?.WorkingDir || "/", dest0) + (dest0.endsWith("/") ? "/" : "");
  const srcWords = words.slice(0, -1);
  const parents = ins.flags.parents !== undefined && ins.flags.parents !== "false";
  const excludes = ins.flagList.filter(([f]) => f === "exclude").map(([, v]) => x(v));
  const exclude = dockerignore({ ignorecase: false });
  exclude.add(excludes);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let root = c.ctx.dir;
    let fromImage: string | undefined;
    if (ins.flags.from) {
      const ref = x(ins.flags.from);
      fromImage =
        (await c.stageImage(ref)) ?? (await c.backend.resolveImage(ref, { pull: false, say: c.say }));
      const view = await c.backend.imageRoot(fromImage);
      cleanups.push(() => view.release());
      root = view.path;
    }
    const sources: Source[] = [];
    const keyParts: string[] = [];
    const chmod = ins.flags.chmod ? x(ins.flags.chmod) : undefined;
    if (chmod !== undefined && !/^[0-7]{1,4}$/.test(chmod))
      throw invalid(`${ins.cmd.toUpperCase()} --chmod=${chmod}: berth supports octal modes only`);
    let mode = chmod !== undefined ? Number.parseInt(chmod, 8) : undefined;
    for (const w of srcWords) {
      if (ins.heredocs.some((hd) => w === `<<${hd.name}` || w === `<<-${hd.name}`)) continue;
      if (isAdd && isGitURL(w)) {
        const g = await cloneGit(w, c.tmpDir, ins.flags["keep-git-dir"] === "true");
        cleanups.push(() => rm(g.dir, { recursive: true, force: true }));
        sources.push({ path: g.path, keep: "", extract: false });
      } else if (isAdd && isURL(w)) {
        const dl = await download(w, c.tmpDir, ins.flags.checksum, c.o.signal);
        cleanups.push(() => rm(dl.dir, { recursive: true, force: true }));
        sources.push({ path: dl.file, keep: "", extract: false });
        mode ??= 0o600;
        keyParts.push(`${w}@${dl.digest}`);
      } else if (isAdd && ins.flags.checksum) {
        throw invalid(`ADD --checksum can only be used with a URL source`);
      } else if (fromImage) {
        const p = await resolveInRoot(root, w, true);
        sources.push({ path: p, keep: parents ? keepPath(w, relative(root, p)) : "", extract: isAdd });
      } else {
        for (const rel of await resolveSources(c.ctx.dir, w, c.ctx.ignored))
          sources.push({ path: join(c.ctx.dir, rel), keep: parents ? keepPath(w, rel) : "", extract: isAdd });
      }
    }
    const chown = ins.flags.chown ? x(ins.flags.chown) : undefined;
    // What is copied: a context path relative to its source for --exclude.
    const skip = (p: string, base: string) => {
      if (!excludes.length) return false;
      const rel = relative(base, p);
      const relCtx = relative(c.ctx.dir, p);
      return (
        (rel !== "" && exclude.ignores(rel)) ||
        (relCtx !== "" && !relCtx.startsWith("..") && exclude.ignores(relCtx))
      );
    };
    const ctxIgnored = (p: string) => {
      const rel = relative(c.ctx.dir, p);
      return !fromImage && rel !== "" && !rel.startsWith("..") && c.ctx.ignored(rel);
    };
    const hash = createHash("sha256");
    hash.update(
      await c.cache.hashSources(
        sources.map((s) => s.path),
        fromImage ? undefined : c.ctx.dir,
        c.hashStats,
      ),
    );
    for (const s of sources) hash.update(`\0${s.keep}`);
    for (const h of ins.heredocs) hash.update(h.body);
    // Everything that shapes the result is in this hash, so the history row
    // (Docker's `COPY file:<hash> in <dest>`) can stand for the step (--cache-from matches on it).
    hash.update(JSON.stringify([chown ?? "", mode ?? "", excludes, keyParts, fromImage ?? ""]));
    const digest = hash.digest("hex");
    const key = c.cache.key(st.imageId, ins.original, digest);
    const one = sources.length === 1 && ins.heredocs.length === 0 ? await lstat(sources[0]!.path) : undefined;
    const kind = one ? (one.isDirectory() ? "dir" : "file") : "multi";
    const summary = `${ins.cmd.toUpperCase()} ${kind}:${digest} in ${dest0} `;
    await commitFiles(st, summary, key, c, async (target) => {
      let uid: number | undefined;
      let gid: number | undefined;
      if (chown) ({ uid, gid } = await resolveUser(target, chown));
      for (const s of sources) {
        const base = s.path;
        const o = {
          uid,
          gid,
          mode,
          extract: s.extract,
          skip: (p: string) => skip(p, base) || ctxIgnored(p),
        };
        if (!s.keep) {
          await copyInto(
            target,
            [s.path],
            dest.endsWith("/") || sources.length > 1 ? `${dest.replace(/\/?$/, "/")}` : dest,
            o,
          );
        } else {
          // --parents: the source keeps its path (a directory itself, a file its parent dirs).
          const isDir = (await lstat(s.path)).isDirectory();
          const to = isDir ? `${posix.join(dest, s.keep)}/` : `${posix.join(dest, posix.dirname(s.keep))}/`;
          await copyInto(target, [s.path], to, o);
        }
      }
      for (const h of ins.heredocs) {
        const t = await resolveInRoot(target, dest.endsWith("/") ? `${dest}${h.name}` : dest, true);
        await mkdir(posix.dirname(t), { recursive: true });
        await writeFile(t, h.body, { mode: mode ?? 0o644 });
      }
    });
  } finally {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  }
};

/** --parents: the part of a matched path kept under the destination (after a `/./` pivot if any). */
function keepPath(pattern: string, rel: string): string {
  const i = pattern.indexOf("/./");
  if (i < 0) return rel;
  const skipN = posix
    .normalize(pattern.slice(0, i))
    .split("/")
    .filter((p) => p && p !== ".").length;
  return rel.split("/").slice(skipN).join("/");
}

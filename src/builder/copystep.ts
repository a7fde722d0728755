/**
 * COPY and ADD: sources from the context, a stage or an image (`--from`),
 * heredocs, and for ADD http(s) URLs (`--checksum`) and git repositories;
 * `--chown`, `--chmod`, `--parents` (keep the source's directories, from
 * a `/./` pivot on), `--exclude` (dockerignore patterns) and `--link`
 * (accepted: berth's layers are always rebuilt from the files, so the result
 * is the same). The cache key hashes the sources (context files by stat data).
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { posix, relative } from "node:path";
import ignoreMod from "@balena/dockerignore";
import { closeFd, openTree } from "../layer/securejoin.js";
import { resolveUser } from "../runtime/user.js";
import { invalid } from "../util/errors.js";
import { commitFiles } from "./commit.js";
import { hostSource, openSource, resolveSources, type Source } from "./context.js";
import { copyInto, writeInto } from "./copy.js";
import { jsonForm } from "./dockerfile.js";
import { cloneGit, download, isGitURL, isURL } from "./remote.js";
import { processWord, processWords } from "./shell.js";
import type { Handler } from "./types.js";

// A static import (not createRequire) so that the installed bundle carries it too.
const dockerignore = ((ignoreMod as unknown as { default?: unknown }).default ?? ignoreMod) as (
  o?: object,
) => {
  add(p: string[] | string): unknown;
  ignores(p: string): boolean;
};

const COPY_FLAGS = new Set(["from", "chown", "chmod", "link", "parents", "exclude"]);
const ADD_FLAGS = new Set(["chown", "chmod", "link", "exclude", "checksum", "keep-git-dir"]);

interface CopySource {
  /** Resolved inside its tree (the context or the --from image's root), or a file berth fetched. */
  src: Source;
  /** Its path relative to the context (undefined for other sources): --exclude and the hash memo. */
  ctxRel?: string;
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
  const sources: CopySource[] = [];
  try {
    let fromImage: string | undefined;
    let fromFd: number | undefined;
    if (ins.flags.from) {
      const ref = x(ins.flags.from);
      fromImage =
        (await c.stageImage(ref)) ?? (await c.backend.resolveImage(ref, { pull: false, say: c.say }));
      const view = await c.backend.imageRoot(fromImage);
      cleanups.push(() => view.release());
      const fd = openTree(view.path);
      cleanups.push(async () => closeFd(fd));
      fromFd = fd;
    }
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
        sources.push({ src: await hostSource(g.path), keep: "", extract: false });
      } else if (isAdd && isURL(w)) {
        const dl = await download(w, c.tmpDir, ins.flags.checksum, c.o.signal);
        cleanups.push(() => rm(dl.dir, { recursive: true, force: true }));
        sources.push({ src: await hostSource(dl.file), keep: "", extract: false });
        mode ??= 0o600;
        keyParts.push(`${w}@${dl.digest}`);
      } else if (isAdd && ins.flags.checksum) {
        throw invalid(`ADD --checksum can only be used with a URL source`);
      } else if (fromFd !== undefined) {
        // Resolved inside the image's root: a link in the image is followed there, never on the host.
        const s = await openSource(fromFd, w);
        if (!s) throw invalid(`${ins.cmd.toUpperCase()} failed: stat ${w}: file does not exist`);
        sources.push({ src: s, keep: parents ? keepPath(w, s.rel) : "", extract: isAdd });
      } else {
        for (const s of await resolveSources(c.ctx.fd, w, c.ctx.ignored))
          sources.push({ src: s, ctxRel: s.rel, keep: parents ? keepPath(w, s.rel) : "", extract: isAdd });
      }
    }
    const chown = ins.flags.chown ? x(ins.flags.chown) : undefined;
    // What is copied (`p`, reached under the source's path `base`): its path below the
    // source and, for a context source, in the context, matched by --exclude and .dockerignore.
    const skip = (p: string, s: CopySource) => {
      const rel = relative(s.src.path, p);
      const relCtx = s.ctxRel === undefined ? undefined : posix.join(s.ctxRel, rel);
      const inCtx = relCtx !== undefined && relCtx !== "." && relCtx !== "";
      if (inCtx && c.ctx.ignored(relCtx)) return true;
      if (!excludes.length) return false;
      return (rel !== "" && exclude.ignores(rel)) || (inCtx && exclude.ignores(relCtx));
    };
    const hash = createHash("sha256");
    hash.update(
      await c.cache.hashSources(
        sources.map((s) => ({ path: s.src.path, st: s.src.st, memoKey: s.ctxRel })),
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
    const one = sources.length === 1 && ins.heredocs.length === 0 ? sources[0]!.src.st : undefined;
    const kind = one ? (one.isDirectory() ? "dir" : "file") : "multi";
    const summary = `${ins.cmd.toUpperCase()} ${kind}:${digest} in ${dest0} `;
    await commitFiles(st, summary, key, c, async (target) => {
      let uid: number | undefined;
      let gid: number | undefined;
      if (chown) ({ uid, gid } = await resolveUser(target, chown));
      for (const s of sources) {
        const o = { uid, gid, mode, extract: s.extract, skip: (p: string) => skip(p, s) };
        if (!s.keep) {
          await copyInto(
            target,
            [s.src],
            dest.endsWith("/") || sources.length > 1 ? `${dest.replace(/\/?$/, "/")}` : dest,
            o,
          );
        } else {
          // --parents: the source keeps its path (a directory itself, a file its parent dirs).
          const isDir = s.src.st.isDirectory();
          const to = isDir ? `${posix.join(dest, s.keep)}/` : `${posix.join(dest, posix.dirname(s.keep))}/`;
          await copyInto(target, [s.src], to, o);
        }
      }
      // Written inside the image's root (parents made there, no link followed out of it).
      for (const h of ins.heredocs)
        await writeInto(target, dest.endsWith("/") ? `${dest}${h.name}` : dest, h.body, mode ?? 0o644);
    });
  } finally {
    for (const s of sources) s.src.close();
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

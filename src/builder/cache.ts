/**
 * The build cache: a map from step key (parent image, instruction, source
 * content) to the image the step made, cache mounts' directories
 * (`RUN --mount=type=cache`), and a memo of context file hashes keyed by
 * path, size, mtime and mode, so an unchanged file is never read again.
 * Everything lives under `<root>/builder/` and is written atomically.
 */
import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { lstat, mkdir, readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { dirSize, readJson, writeJsonAtomic } from "../util/fs.js";

type Memo = Record<string, [number, number, number, string]>;

/**
 * One tree to hash: `path` reaches it, `st` is its stat when `path` cannot be
 * lstat'ed for it (a /proc/self/fd magic link), `memoKey` its path in the
 * build context (files below it are remembered by stat data).
 */
export interface HashSource {
  path: string;
  st?: Stats;
  memoKey?: string;
}

/** Files hashed by reading them, and files whose hash came from stat data. */
export interface HashStats {
  read: number;
  reused: number;
}

export class BuildCache {
  private map?: Record<string, string>;
  private memo?: Memo;
  private writes: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  private get mapPath() {
    return join(this.dir, "cache.json");
  }
  private get memoPath() {
    return join(this.dir, "filehash.json");
  }
  get mountsDir() {
    return join(this.dir, "cache-mounts");
  }

  /** A step's key: sha256 over its parent image and the step's parts. */
  key(parent: string | undefined, ...parts: string[]): string {
    return createHash("sha256")
      .update([parent ?? "scratch", ...parts].join("\n"))
      .digest("hex");
  }

  private async load(): Promise<Record<string, string>> {
    this.map ??= (await readJson<Record<string, string>>(this.mapPath)) ?? {};
    return this.map;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.load())[key];
  }

  async put(key: string, id: string): Promise<void> {
    (await this.load())[key] = id;
    // Serialised: parallel stages write the same file.
    const w = this.writes.catch(() => {}).then(() => writeJsonAtomic(this.mapPath, this.map));
    this.writes = w.catch(() => {});
    await w;
  }

  /**
   * Hashes source trees (paths, modes, link targets, contents). A source's
   * `path` may be a /proc/self/fd path (context/securejoin.ts), so its own
   * stat is given (`st`, the link inside the tree followed); a source with a
   * `memoKey` (its path in the context) has its files looked up by stat data
   * first, keyed `<memoKey>/<name>`.
   */
  async hashSources(sources: HashSource[], stats?: HashStats): Promise<string> {
    this.memo ??= (await readJson<Memo>(this.memoPath)) ?? {};
    const h = createHash("sha256");
    for (const s of sources) await this.hashTree(s.path, h, "", s.memoKey, stats, s.st);
    return h.digest("hex");
  }

  /** Persists the file-hash memo (once per build). */
  async saveMemo(): Promise<void> {
    if (this.memo) {
      const memo = this.memo;
      const w = this.writes.then(() => writeJsonAtomic(this.memoPath, memo));
      this.writes = w.catch(() => {});
      await w;
    }
  }

  private async hashTree(
    path: string,
    h: ReturnType<typeof createHash>,
    rel: string,
    memoKey: string | undefined,
    stats?: HashStats,
    top?: Stats,
  ) {
    const st = top ?? (await lstat(path));
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isDirectory()) {
      for (const n of (await readdir(path)).sort()) {
        const key = memoKey === undefined ? undefined : memoKey === "." ? n : `${memoKey}/${n}`;
        await this.hashTree(join(path, n), h, `${rel}/${n}`, key, stats);
      }
    } else if (st.isSymbolicLink()) {
      h.update(await readlink(path));
    } else if (st.isFile()) {
      const m = memoKey !== undefined ? this.memo![memoKey] : undefined;
      if (m && m[0] === st.size && m[1] === st.mtimeMs && m[2] === st.mode) {
        if (stats) stats.reused++;
        h.update(m[3]);
        return;
      }
      const fh = createHash("sha256");
      await pipeline(createReadStream(path), fh);
      const digest = fh.digest("hex");
      if (stats) stats.read++;
      // Git's "racily clean" rule: a file modified in the last two seconds
      // could change again without its (second-resolution, from the tar)
      // mtime changing, so its hash is not remembered.
      if (memoKey !== undefined && st.mtimeMs < Date.now() - 2000)
        this.memo![memoKey] = [st.size, st.mtimeMs, st.mode, digest];
      h.update(digest);
    }
  }

  /** The directory of a cache mount (created on first use). */
  async mountDir(id: string, mode: number): Promise<string> {
    const dir = join(this.mountsDir, createHash("sha256").update(id).digest("hex").slice(0, 32));
    await mkdir(dir, { recursive: true, mode });
    return dir;
  }

  /**
   * `POST /build/prune`: forgets every cached step and deletes cache mounts.
   * Images stay (tagged ones, and intermediate ones their children need).
   * Returns the deleted cache records' IDs and the bytes freed.
   */
  async prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    await this.writes;
    const deleted = Object.keys(await this.load());
    let space = 0;
    for (const m of await readdir(this.mountsDir).catch(() => [] as string[])) {
      space += await dirSize(join(this.mountsDir, m)).catch(() => 0);
      await rm(join(this.mountsDir, m), { recursive: true, force: true });
      deleted.push(m);
    }
    this.map = {};
    this.memo = {};
    await rm(this.mapPath, { force: true });
    await rm(this.memoPath, { force: true });
    return { CachesDeleted: deleted, SpaceReclaimed: space };
  }
}

/**
 * Finishing or rolling back what a crash interrupted. berthd holds its
 * root's lock, so at start no operation of this root is running: every
 * temp file is a leftover. Later (system/builder prune) only what is older
 * than this daemon's start and not held by a running writer is.
 *
 * Leftovers: <root>/tmp/* (load-*, build-* contexts), content/ingest/*
 * (partial blobs; at start the resumable ones of pulls, named after their
 * digest, are kept a day), overlay/tmp-* (layers being extracted).
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { dirSize } from "../util/fs.js";

export interface LeftoverDirs {
  tmp: string;
  ingest: string;
  layers: string;
}

/**
 * Removes leftovers and returns the bytes freed. `olderThan` (ms since the
 * epoch): only entries last modified before it; `keep`: paths in use;
 * `keepResumable`: keep digest-named ingest files younger than a day.
 */
export async function sweepLeftovers(
  dirs: LeftoverDirs,
  o: { olderThan?: number; keep?: Set<string>; keepResumable?: boolean } = {},
): Promise<number> {
  let freed = 0;
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const sweep = async (
    dir: string,
    match: (name: string) => boolean,
    keepIf?: (name: string, mtime: number) => boolean,
  ) => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!match(name)) continue;
      const p = join(dir, name);
      if (o.keep?.has(p)) continue;
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (o.olderThan !== undefined && st.mtimeMs >= o.olderThan) continue;
      if (keepIf?.(name, st.mtimeMs)) continue;
      freed += st.isDirectory() ? await dirSize(p) : st.size;
      await rm(p, { recursive: true, force: true });
    }
  };
  await sweep(dirs.tmp, () => true);
  await sweep(
    dirs.ingest,
    () => true,
    (name, mtime) => o.keepResumable === true && name.startsWith("sha256_") && mtime > dayAgo,
  );
  await sweep(dirs.layers, (n) => n.startsWith("tmp-"));
  return freed;
}

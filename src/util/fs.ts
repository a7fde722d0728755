/**
 * Crash-safe file helpers: state on disk is either the old or the new version,
 * never half-written (write temp, fsync, rename, fsync the directory).
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isErrno, withPath } from "./errors.js";

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A unique temp path next to `path`, on the same filesystem so rename is atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.tmp-${randomBytes(6).toString("hex")}`);
}

/** Writes `path` atomically (temp, fsync, rename, fsync dir); a disk error names the path. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  try {
    await writeFileAtomicUnnamed(path, data, mode);
  } catch (err) {
    throw withPath(err, path);
  }
}

async function writeFileAtomicUnnamed(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

/**
 * Replaces `path` atomically (temp, rename) without fsync: readers never see a
 * half-written file, and a crash of berthd loses nothing (the kernel has it),
 * but a power loss may. Only for files that are volatile by design (under the
 * exec-root, which a reboot makes stale) or rebuilt on every start.
 */
export async function writeFileReplace(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw withPath(err, path);
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value));
}

/** Reads a JSON file; `undefined` when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await open(path, "r").then((fh) => fh.close());
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    return true;
  }
}

/** Bytes in the files under `dir` (hardlinked files counted once), like Docker's directory.Size. */
export async function dirSize(dir: string): Promise<number> {
  const { lstat, readdir } = await import("node:fs/promises");
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const n of names) {
      const p = `${d}/${n}`;
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        await walk(p);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}

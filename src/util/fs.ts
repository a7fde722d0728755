/**
 * Crash-safe file helpers: state on disk is either the old or the new version,
 * never half-written (write temp, fsync, rename, fsync the directory).
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isErrno } from "./errors.js";

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

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
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

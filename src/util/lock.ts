/** One daemon per root: an exclusive flock on <root>/berthd.lock, released by the kernel if we die. */

import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { flock, LOCK_EX, LOCK_NB, SyscallError } from "../sys/libc.js";

export async function lockRoot(root: string): Promise<FileHandle> {
  const path = join(root, "berthd.lock");
  const fh = await open(path, "a+");
  try {
    flock(fh.fd, LOCK_EX | LOCK_NB);
  } catch (err) {
    await fh.close();
    if (err instanceof SyscallError && (err.code === "EWOULDBLOCK" || err.code === "EAGAIN")) {
      throw new Error(`another berthd is already running with root ${root} (${path} is locked)`);
    }
    throw err;
  }
  await fh.truncate(0);
  await fh.write(`${process.pid}\n`, 0);
  return fh;
}

/**
 * Runs `fn` holding an exclusive flock on `path`, shared by every berthd on
 * the host (e.g. picking and claiming a subnet). Polls with LOCK_NB so the
 * event loop never blocks; throws after `timeoutMs`.
 */
export async function withHostLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const fh = await open(path, "a+");
  try {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        flock(fh.fd, LOCK_EX | LOCK_NB);
        break;
      } catch (err) {
        const busy = err instanceof SyscallError && (err.code === "EWOULDBLOCK" || err.code === "EAGAIN");
        if (!busy || Date.now() > end) throw busy ? new Error(`timed out waiting for the lock ${path}`) : err;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
    return await fn();
  } finally {
    await fh.close();
  }
}

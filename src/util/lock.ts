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

/** A container's processes without its cgroup: those sharing its init's pid namespace. */
import { readdir, readlink } from "node:fs/promises";

/** Pids (as this process sees them) of every process in `pid`'s pid namespace. */
export async function pidsInNamespaceOf(pid: number): Promise<number[]> {
  const ns = await readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const out: number[] = [];
  for (const p of await readdir("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    if ((await readlink(`/proc/${p}/ns/pid`).catch(() => "")) === ns) out.push(Number(p));
  }
  return out;
}

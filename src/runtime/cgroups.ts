/**
 * Container resource accounting read straight from its cgroup: cgroup v1
 * controllers (/sys/fs/cgroup/<controller>/<path>) or the v2 unified tree.
 * Shapes follow Docker's stats JSON (types.StatsJSON).
 */
import { readdir, readFile, rmdir } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";

const ROOT = "/sys/fs/cgroup";

async function readNum(path: string): Promise<number | undefined> {
  try {
    const t = (await readFile(path, "utf8")).trim();
    if (t === "max") return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readKV(path: string): Promise<Record<string, number>> {
  try {
    const out: Record<string, number> = {};
    for (const line of (await readFile(path, "utf8")).split("\n")) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined) out[k] = Number(v);
    }
    return out;
  } catch {
    return {};
  }
}

let v2Cache: Promise<boolean> | undefined;

/** True on a pure cgroup v2 host (a hybrid v1 host keeps v2 under /sys/fs/cgroup/unified). */
export function isCgroupV2(): Promise<boolean> {
  v2Cache ??= readFile(join(ROOT, "cgroup.controllers"), "utf8").then(
    () => true,
    () => false,
  );
  return v2Cache;
}

/** A cgroupfs path as runc takes it ("/berth/<id>"); refuses anything that could climb out. */
function checkPath(cgroupsPath: string): string {
  const parts = cgroupsPath.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === "." || p === "..") || cgroupsPath.includes(":"))
    throw new Error(`not a cgroupfs path: ${JSON.stringify(cgroupsPath)}`);
  return parts.join("/");
}

/** Every directory of a container's cgroup: one per v1 hierarchy (plus the hybrid v2 one), or the v2 one. */
export async function cgroupDirs(cgroupsPath: string): Promise<string[]> {
  const rel = checkPath(cgroupsPath);
  if (await isCgroupV2()) return [join(ROOT, rel)];
  const out: string[] = [];
  for (const e of await readdir(ROOT, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(join(ROOT, e.name, rel));
  }
  return out;
}

/** Whether the kernel OOM-killed a process of this cgroup (v1 memory.oom_control, v2 memory.events). */
export async function oomKilled(cgroupsPath: string): Promise<boolean> {
  const rel = checkPath(cgroupsPath);
  if (await isCgroupV2()) {
    const ev = await readKV(join(ROOT, rel, "memory.events"));
    return (ev.oom_kill ?? 0) > 0;
  }
  const ctl = await readKV(join(ROOT, "memory", rel, "memory.oom_control"));
  return (ctl.oom_kill ?? 0) > 0;
}

/**
 * Removes the container's cgroup directories runc left behind (it removes
 * them itself on a clean delete). A cgroup that still has processes stays:
 * rmdir fails with EBUSY and the error is returned for the caller to log.
 */
export async function removeCgroup(cgroupsPath: string): Promise<Error | undefined> {
  let failure: Error | undefined;
  for (const dir of await cgroupDirs(cgroupsPath)) {
    try {
      await rmdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") failure = err as Error;
    }
  }
  return failure;
}

/** Total host CPU time in ns (/proc/stat), what Docker calls system_cpu_usage. */
async function systemCpuNs(): Promise<number> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const ticks = line
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, b) => a + Number(b), 0);
  return (ticks * 1e9) / 100; // USER_HZ = 100
}

/** One block device's bytes read or written, as Docker's BlkioStatEntry. */
export interface BlkioEntry {
  major: number;
  minor: number;
  op: "read" | "write";
  value: number;
}

/**
 * cgroup v2's io.stat (`8:0 rbytes=N wbytes=N rios=N ...` per device) as Docker reports it on
 * v2: a read and a write entry per device (moby's stats for the unified hierarchy). Null when
 * there is no I/O, as Docker's JSON.
 */
export function parseIoStat(text: string): BlkioEntry[] | null {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    const kv = Object.fromEntries(kvs.map((s) => s.split("=")).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    out.push(
      { major, minor, op: "read", value: kv.rbytes ?? 0 },
      { major, minor, op: "write", value: kv.wbytes ?? 0 },
    );
  }
  return out.length ? out : null;
}

export interface CgroupStats {
  cpu_stats: object;
  memory_stats: object;
  pids_stats: object;
  blkio_stats: object;
}

export async function readStats(cgroupPath: string): Promise<CgroupStats> {
  checkPath(cgroupPath);
  const v2 = await isCgroupV2();
  const online = cpus().length;
  const system = await systemCpuNs();
  if (v2) {
    const dir = join(ROOT, cgroupPath);
    const cpu = await readKV(join(dir, "cpu.stat"));
    const mem = await readKV(join(dir, "memory.stat"));
    return {
      cpu_stats: {
        cpu_usage: {
          total_usage: (cpu.usage_usec ?? 0) * 1000,
          usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000,
          usage_in_usermode: (cpu.user_usec ?? 0) * 1000,
        },
        system_cpu_usage: system,
        online_cpus: online,
        throttling_data: {
          periods: cpu.nr_periods ?? 0,
          throttled_periods: cpu.nr_throttled ?? 0,
          throttled_time: (cpu.throttled_usec ?? 0) * 1000,
        },
      },
      memory_stats: {
        usage: (await readNum(join(dir, "memory.current"))) ?? 0,
        limit: (await readNum(join(dir, "memory.max"))) ?? (await import("node:os")).totalmem(),
        stats: mem,
      },
      pids_stats: {
        current: (await readNum(join(dir, "pids.current"))) ?? 0,
        ...((await readNum(join(dir, "pids.max"))) !== undefined
          ? { limit: await readNum(join(dir, "pids.max")) }
          : {}),
      },
      blkio_stats: {
        io_service_bytes_recursive: parseIoStat(await readFile(join(dir, "io.stat"), "utf8").catch(() => "")),
      },
    };
  }
  const c = (ctrl: string, file: string) => join(ROOT, ctrl, cgroupPath, file);
  const percpu = ((await readFile(c("cpuacct", "cpuacct.usage_percpu"), "utf8").catch(() => "")) || "")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  const cpuacct = await readKV(c("cpuacct", "cpuacct.stat"));
  const throttle = await readKV(c("cpu", "cpu.stat"));
  const memStat = await readKV(c("memory", "memory.stat"));
  const limit = (await readNum(c("memory", "memory.limit_in_bytes"))) ?? 0;
  const hostMem = (await import("node:os")).totalmem();
  const blk = ((await readFile(c("blkio", "blkio.throttle.io_service_bytes"), "utf8").catch(() => "")) || "")
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length === 3 && p[0]!.includes(":"))
    .map(([dev, op, v]) => {
      const [major, minor] = dev!.split(":").map(Number);
      return { major, minor, op, value: Number(v) };
    });
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: (await readNum(c("cpuacct", "cpuacct.usage"))) ?? 0,
        percpu_usage: percpu,
        usage_in_kernelmode: ((cpuacct.system ?? 0) * 1e9) / 100,
        usage_in_usermode: ((cpuacct.user ?? 0) * 1e9) / 100,
      },
      system_cpu_usage: system,
      online_cpus: online,
      throttling_data: {
        periods: throttle.nr_periods ?? 0,
        throttled_periods: throttle.nr_throttled ?? 0,
        throttled_time: throttle.throttled_time ?? 0,
      },
    },
    memory_stats: {
      usage: (await readNum(c("memory", "memory.usage_in_bytes"))) ?? 0,
      max_usage: (await readNum(c("memory", "memory.max_usage_in_bytes"))) ?? 0,
      stats: memStat,
      limit: limit > 0 && limit < hostMem ? limit : hostMem,
    },
    pids_stats: {
      current: (await readNum(c("pids", "pids.current"))) ?? 0,
      ...((await readNum(c("pids", "pids.max"))) !== undefined
        ? { limit: await readNum(c("pids", "pids.max")) }
        : {}),
    },
    blkio_stats: { io_service_bytes_recursive: blk.length ? blk : null },
  };
}

/** Network counters of the container's interfaces, read from inside its netns via /proc/<pid>/net/dev. */
export async function readNetStats(pid: number): Promise<Record<string, object>> {
  const out: Record<string, object> = {};
  try {
    const lines = (await readFile(`/proc/${pid}/net/dev`, "utf8")).split("\n").slice(2);
    for (const l of lines) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(l);
      if (!m || m[1] === "lo") continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      out[m[1]!] = {
        rx_bytes: f[0],
        rx_packets: f[1],
        rx_errors: f[2],
        rx_dropped: f[3],
        tx_bytes: f[8],
        tx_packets: f[9],
        tx_errors: f[10],
        tx_dropped: f[11],
      };
    }
  } catch {
    // process gone: no network stats
  }
  return out;
}

/**
 * Removes the cgroups of containers berth no longer knows under `parent` ("/berth-<hash>"),
 * in every hierarchy: what a container removed while its daemon was killed, or a crash
 * between runc's delete and ours, left behind. Only 64-hex directory names are touched and
 * rmdir refuses a cgroup that still has processes. Returns how many were removed.
 */
export async function removeStrayCgroups(parent: string, known: Set<string>): Promise<number> {
  const rel = checkPath(parent);
  const bases = (await isCgroupV2())
    ? [ROOT]
    : (await readdir(ROOT).catch(() => [] as string[])).map((c) => join(ROOT, c));
  let removed = 0;
  for (const base of bases) {
    const dir = join(base, rel);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(name) || known.has(name)) continue;
      if (
        await rmdir(join(dir, name)).then(
          () => true,
          () => false,
        )
      )
        removed++;
    }
  }
  return removed;
}

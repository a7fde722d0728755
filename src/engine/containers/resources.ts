/**
 * Docker's daemon-side checks of resource limits (verifyPlatformContainerResources):
 * a limit the kernel would refuse or silently misread is a 400 with Docker's words,
 * at create and at update, instead of a runc error at start.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { invalid } from "../../util/errors.js";
import { checkRootlessLimits } from "../../util/rootless.js";
import type { HostConfig } from "./types.js";

/** "0-3,5" -> {0,1,2,3,5}; undefined when malformed. */
export function parseCpuList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function online(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return fallback;
  }
}

function checkSubset(requested: string | undefined, available: string, what: string): void {
  if (!requested) return;
  const want = parseCpuList(requested);
  if (!want)
    throw invalid(`Invalid value ${requested} for ${what === "CPUs" ? "cpuset cpus" : "cpuset mems"}`);
  const have = parseCpuList(available) ?? new Set<number>();
  for (const n of want)
    if (!have.has(n))
      throw invalid(`Requested ${what} are not available - requested ${requested}, available: ${available}`);
}

export function validateResources(h: HostConfig): void {
  checkRootlessLimits(h as Record<string, unknown>);
  if (h.CgroupParent) containerCgroupsPath(h.CgroupParent, "0");
  const memory = h.Memory ?? 0;
  const swap = h.MemorySwap ?? 0;
  // As moby: any limit but 0 (none) below 6 MB, negative ones included.
  if (memory !== 0 && memory < 6 * 1024 * 1024) throw invalid("Minimum memory limit allowed is 6MB");
  const reservation = h.MemoryReservation ?? 0;
  if (reservation !== 0 && reservation < 6 * 1024 * 1024)
    throw invalid("Minimum memory reservation allowed is 6MB");
  if ((h.CpuShares ?? 0) < 0) throw invalid(`invalid CPU shares ${h.CpuShares}: must not be negative`);
  if (memory > 0 && swap > 0 && swap < memory)
    throw invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
  if (memory === 0 && swap > 0)
    throw invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (memory > 0 && (h.MemoryReservation ?? 0) > memory)
    throw invalid("Minimum memory limit can not be less than memory reservation limit, see usage");
  const swappiness = h.MemorySwappiness;
  if (
    swappiness !== undefined &&
    swappiness !== null &&
    swappiness !== -1 &&
    (swappiness < 0 || swappiness > 100)
  )
    throw invalid(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);

  const ncpu = cpus().length;
  if (h.NanoCpus && (h.NanoCpus < 1e7 || h.NanoCpus > ncpu * 1e9))
    throw invalid(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  if (h.NanoCpus && (h.CpuPeriod || h.CpuQuota))
    throw invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (h.CpuPeriod && (h.CpuPeriod < 1000 || h.CpuPeriod > 1_000_000))
    throw invalid(
      "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)",
    );
  if (h.CpuQuota && h.CpuQuota > 0 && h.CpuQuota < 1000)
    throw invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  checkSubset(h.CpusetCpus, online("/sys/devices/system/cpu/online", `0-${ncpu - 1}`), "CPUs");
  checkSubset(h.CpusetMems, online("/sys/devices/system/node/online", "0"), "memory nodes");

  if (h.OomScoreAdj !== undefined && (h.OomScoreAdj < -1000 || h.OomScoreAdj > 1000))
    throw invalid(`Invalid value ${h.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  if (h.BlkioWeight && (h.BlkioWeight < 10 || h.BlkioWeight > 1000))
    throw invalid("Range of blkio weight is from 10 to 1000");
  for (const w of h.BlkioWeightDevice ?? [])
    if (w.Weight < 10 || w.Weight > 1000) throw invalid("Range of blkio weight is from 10 to 1000");
}

/**
 * The container's cgroup path as runc takes it (cgroupfs driver): `<daemon parent>/<id>`, or
 * with `--cgroup-parent P` `/P/<id>` (a relative P is taken from the root, as Docker's
 * cgroupfs driver does; berth drives cgroupfs, so a systemd slice name is a plain directory
 * too). Throws InvalidParameter for a parent that could climb out. "" when there is no parent
 * (rootless).
 */
export function containerCgroupsPath(parent: string | undefined, id: string, daemonParent = ""): string {
  if (!parent) return daemonParent ? `${daemonParent}/${id}` : "";
  const parts = parent.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === "." || p === "..") || parent.includes(":"))
    throw invalid(`invalid cgroup parent ${JSON.stringify(parent)}: a cgroupfs path such as /my-group`);
  return `/${parts.join("/")}/${id}`;
}

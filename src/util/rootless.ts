/**
 * Rootless mode, as the engine's checks see it: set once at start by berthd's
 * rootless child (daemon/rootless.ts) before any container is created, and
 * undefined for a daemon run by root. What the user namespace cannot do is
 * refused here with the reason, never silently dropped.
 */
import { invalid } from "./errors.js";

export interface RootlessInfo {
  /** The uid outside, who runs berthd (`id -u`). */
  hostUid: number;
  /** The host's net.ipv4.ip_unprivileged_port_start, read before leaving its network namespace. */
  portStart: number;
  /** True when a cgroup v2 subtree is delegated to the user, so limits can be applied. */
  cgroupsDelegated: boolean;
  /** Why limits cannot be applied (when not delegated), for the warning and the errors. */
  cgroupsReason: string;
  /** rootlesskit's state dir (its API socket publishes ports on the host). */
  stateDir: string;
  /** The data root outside (~/.local/share/berth), for `docker info`'s DockerRootDir. */
  dataRoot: string;
}

let current: RootlessInfo | undefined;

export function setRootless(info: RootlessInfo | undefined): void {
  current = info;
}

/** The rootless settings, or undefined when berthd runs as root. */
export function rootless(): RootlessInfo | undefined {
  return current;
}

/** Host config fields that need a cgroup controller, with the flag users know them by. */
const LIMITS: [string, string][] = [
  ["Memory", "--memory"],
  ["MemoryReservation", "--memory-reservation"],
  ["MemorySwap", "--memory-swap"],
  ["KernelMemory", "--kernel-memory"],
  ["NanoCpus", "--cpus"],
  ["CpuShares", "--cpu-shares"],
  ["CpuPeriod", "--cpu-period"],
  ["CpuQuota", "--cpu-quota"],
  ["CpuRealtimePeriod", "--cpu-rt-period"],
  ["CpuRealtimeRuntime", "--cpu-rt-runtime"],
  ["CpusetCpus", "--cpuset-cpus"],
  ["CpusetMems", "--cpuset-mems"],
  ["PidsLimit", "--pids-limit"],
  ["BlkioWeight", "--blkio-weight"],
  ["BlkioWeightDevice", "--blkio-weight-device"],
  ["BlkioDeviceReadBps", "--device-read-bps"],
  ["BlkioDeviceWriteBps", "--device-write-bps"],
  ["BlkioDeviceReadIOps", "--device-read-iops"],
  ["BlkioDeviceWriteIOps", "--device-write-iops"],
  ["DeviceCgroupRules", "--device-cgroup-rule"],
  ["OomKillDisable", "--oom-kill-disable"],
  ["CgroupParent", "--cgroup-parent"],
];

/**
 * Refuses (InvalidParameter) a resource limit a rootless daemon cannot apply:
 * without a delegated cgroup v2 subtree runc could only drop it.
 */
export function checkRootlessLimits(h: Record<string, unknown>): void {
  if (!current || current.cgroupsDelegated) return;
  for (const [field, flag] of LIMITS) {
    const v = h[field];
    const set = Array.isArray(v) ? v.length > 0 : typeof v === "number" ? v > 0 : Boolean(v);
    if (set) throw invalid(`rootless: cannot apply ${flag}: ${current.cgroupsReason}; run without the limit`);
  }
  // 0 is a setting here (-1 and null: the kernel's default).
  const swappiness = h.MemorySwappiness;
  if (typeof swappiness === "number" && swappiness >= 0)
    throw invalid(
      `rootless: cannot apply --memory-swappiness: ${current.cgroupsReason}; run without the limit`,
    );
}

/**
 * Refuses (InvalidParameter) a published host port below the host's
 * net.ipv4.ip_unprivileged_port_start: the user cannot bind it.
 */
export function checkRootlessPort(hostPort: number, key: string): void {
  if (!current || hostPort === 0 || hostPort >= current.portStart) return;
  throw invalid(
    `rootless: cannot publish host port ${hostPort} (${key}): ports below ${current.portStart} ` +
      `(net.ipv4.ip_unprivileged_port_start) need root; publish a port >= ${current.portStart}, ` +
      `or as root lower it: sysctl net.ipv4.ip_unprivileged_port_start=${hostPort}`,
  );
}

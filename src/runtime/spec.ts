/**
 * Docker settings -> an OCI runtime spec (runc's config.json): process,
 * root, mounts, namespaces, capabilities, masked paths, cgroup resources.
 * No rlimits unless asked (this host can't raise them: no CAP_SYS_RESOURCE).
 */
import { invalid } from "../util/errors.js";
import type { IdMap } from "../util/idmap.js";
import { effectiveCaps } from "./capabilities.js";
import type { ResolvedUser } from "./user.js";

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export type NsMode = { mode: "private" } | { mode: "host" } | { mode: "path"; path: string };

export interface Resources {
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  memorySwappiness?: number | null;
  oomKillDisable?: boolean;
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  nanoCpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number | null;
  blkioWeight?: number;
  blkioReadBps?: { major: number; minor: number; rate: number }[];
  blkioWriteBps?: { major: number; minor: number; rate: number }[];
  blkioReadIOps?: { major: number; minor: number; rate: number }[];
  blkioWriteIOps?: { major: number; minor: number; rate: number }[];
  blkioWeightDevice?: { major: number; minor: number; weight: number }[];
}

export interface DeviceSpec {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  permissions: string;
}

export interface SpecInput {
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  terminal: boolean;
  /** The terminal's first size (rows, columns), as the client asked at create (HostConfig.ConsoleSize). */
  consoleSize?: { height: number; width: number };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  network: NsMode;
  pid: NsMode;
  ipc: NsMode;
  uts: NsMode;
  privileged: boolean;
  capAdd?: string[] | null;
  capDrop?: string[] | null;
  noNewPrivileges: boolean;
  resources: Resources;
  cgroupsPath: string;
  sysctls: Record<string, string>;
  devices: DeviceSpec[];
  /** `--device-cgroup-rule` lines. */
  deviceCgroupRules?: string[];
  ulimits: { Name: string; Soft: number; Hard: number }[];
  shmSize: number;
  maskedPaths?: string[] | null;
  readonlyPaths?: string[] | null;
  seccomp?: object;
  /** userns-remap: run in a new user namespace with these mappings. */
  idMap?: IdMap;
  annotations?: Record<string, string>;
  oomScoreAdj?: number;
}

export const DEFAULT_MASKED = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];
export const DEFAULT_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** Docker's default device cgroup rules: deny all, then the devices every container gets. */
const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", access: "m" }, // mknod of any char device
  { allow: true, type: "b", access: "m" }, // mknod of any block device
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, // console
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 136, access: "rwm" }, // pts/*
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // net/tun
];

export interface DeviceRule {
  allow: boolean;
  type?: "a" | "b" | "c";
  major?: number;
  minor?: number;
  access?: string;
}

/** `--device-cgroup-rule` ("c 1:3 rwm", "b 8:* r", "a *:* rwm"). */
export function parseDeviceRule(rule: string): DeviceRule {
  const m = /^([abc])\s+(\d+|\*):(\d+|\*)\s+([rwm]{1,3})$/.exec(rule.trim());
  if (!m) throw invalid(`invalid device cgroup rule format: '${rule}'`);
  return {
    allow: true,
    type: m[1] as "a" | "b" | "c",
    ...(m[2] === "*" ? {} : { major: Number(m[2]) }),
    ...(m[3] === "*" ? {} : { minor: Number(m[3]) }),
    access: m[4],
  };
}

function ns(type: string, m: NsMode): { type: string; path?: string } | undefined {
  if (m.mode === "host") return undefined;
  if (m.mode === "path") return { type, path: m.path };
  return { type };
}

const RLIMITS: Record<string, string> = {
  core: "RLIMIT_CORE",
  cpu: "RLIMIT_CPU",
  data: "RLIMIT_DATA",
  fsize: "RLIMIT_FSIZE",
  locks: "RLIMIT_LOCKS",
  memlock: "RLIMIT_MEMLOCK",
  msgqueue: "RLIMIT_MSGQUEUE",
  nice: "RLIMIT_NICE",
  nofile: "RLIMIT_NOFILE",
  nproc: "RLIMIT_NPROC",
  rss: "RLIMIT_RSS",
  rtprio: "RLIMIT_RTPRIO",
  rttime: "RLIMIT_RTTIME",
  sigpending: "RLIMIT_SIGPENDING",
  stack: "RLIMIT_STACK",
  as: "RLIMIT_AS",
};

/** runc's config.json (the parts berth writes; see the OCI runtime spec). */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; additionalGids: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[]; inheritable: string[] };
    rlimits?: { type: string; soft: number; hard: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    uidMappings?: { containerID: number; hostID: number; size: number }[];
    gidMappings?: { containerID: number; hostID: number; size: number }[];
    resources: Record<string, unknown>;
    cgroupsPath?: string;
    sysctl: Record<string, string>;
    devices: Omit<DeviceSpec, "permissions">[];
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: object;
  };
}

export function buildSpec(i: SpecInput): OciSpec {
  const caps = effectiveCaps({ privileged: i.privileged, add: i.capAdd, drop: i.capDrop });
  const shm = i.shmSize > 0 ? i.shmSize : 64 * 1024 * 1024;
  const sysRo = i.privileged ? [] : ["ro"];
  const mounts: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", ...sysRo] },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", ...sysRo],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  ];
  if (i.ipc.mode !== "host") {
    mounts.push({
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", `size=${shm}`],
    });
  } else {
    mounts.push({
      destination: "/dev/shm",
      type: "bind",
      source: "/dev/shm",
      options: ["rbind", "rprivate"],
    });
  }
  // Later mounts win: a user mount over /dev/shm etc. replaces the default.
  const userDest = new Set(i.mounts.map((m) => m.destination));
  const all = [...mounts.filter((m) => !userDest.has(m.destination)), ...i.mounts];

  const namespaces = [
    ns("pid", i.pid),
    ns("network", i.network),
    ns("ipc", i.ipc),
    ns("uts", i.uts),
    { type: "mount" },
    i.idMap ? { type: "user" } : undefined,
  ].filter((x): x is { type: string; path?: string } => x !== undefined);

  const r = i.resources;
  const memory: Record<string, unknown> = {};
  if (r.memory) memory.limit = r.memory;
  if (r.memoryReservation) memory.reservation = r.memoryReservation;
  if (r.memorySwap) memory.swap = r.memorySwap === -1 ? -1 : r.memorySwap;
  else if (r.memory) memory.swap = r.memory * 2; // Docker: swap defaults to twice the memory limit
  if (r.memorySwappiness !== undefined && r.memorySwappiness !== null && r.memorySwappiness >= 0) {
    memory.swappiness = r.memorySwappiness;
  }
  if (r.oomKillDisable) memory.disableOOMKiller = true;
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.nanoCpus) {
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus / 1e9) * 100000);
  } else {
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  const blockIO: Record<string, unknown> = {};
  if (r.blkioWeight) blockIO.weight = r.blkioWeight;
  if (r.blkioReadBps?.length) blockIO.throttleReadBpsDevice = r.blkioReadBps;
  if (r.blkioWriteBps?.length) blockIO.throttleWriteBpsDevice = r.blkioWriteBps;
  if (r.blkioReadIOps?.length) blockIO.throttleReadIOPSDevice = r.blkioReadIOps;
  if (r.blkioWriteIOps?.length) blockIO.throttleWriteIOPSDevice = r.blkioWriteIOps;
  if (r.blkioWeightDevice?.length) blockIO.weightDevice = r.blkioWeightDevice;
  const resources: Record<string, unknown> = {
    devices: i.privileged
      ? [{ allow: true, access: "rwm" }]
      : [
          ...DEFAULT_DEVICE_RULES,
          ...i.devices.map((d) => ({
            allow: true,
            type: d.type,
            major: d.major,
            minor: d.minor,
            access: d.permissions,
          })),
          ...(i.deviceCgroupRules ?? []).map(parseDeviceRule),
        ],
  };
  if (Object.keys(memory).length) resources.memory = memory;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  if (Object.keys(blockIO).length) resources.blockIO = blockIO;

  return {
    ociVersion: "1.0.2",
    process: {
      terminal: i.terminal,
      ...(i.terminal && i.consoleSize ? { consoleSize: i.consoleSize } : {}),
      user: { uid: i.user.uid, gid: i.user.gid, additionalGids: i.user.additionalGids },
      args: i.args,
      env: i.env,
      cwd: i.cwd || "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] as string[] },
      ...(i.ulimits.length
        ? {
            rlimits: i.ulimits.map((u) => ({
              type: RLIMITS[u.Name] ?? `RLIMIT_${u.Name.toUpperCase()}`,
              soft: u.Soft,
              hard: u.Hard,
            })),
          }
        : {}),
      noNewPrivileges: i.noNewPrivileges,
      ...(i.oomScoreAdj ? { oomScoreAdj: i.oomScoreAdj } : {}),
    },
    root: { path: i.rootfs, readonly: i.readonlyRootfs },
    hostname: i.uts.mode === "host" ? undefined : i.hostname,
    ...(i.domainname ? { domainname: i.domainname } : {}),
    mounts: all,
    annotations: i.annotations ?? {},
    linux: {
      namespaces,
      ...(i.idMap
        ? {
            uidMappings: [{ containerID: 0, hostID: i.idMap.uid, size: i.idMap.size }],
            gidMappings: [{ containerID: 0, hostID: i.idMap.gid, size: i.idMap.size }],
          }
        : {}),
      resources,
      // runc ignores cgroups it may not create (rootless) only when no path is asked for.
      ...(i.cgroupsPath ? { cgroupsPath: i.cgroupsPath } : {}),
      sysctl: i.sysctls,
      devices: i.devices.map((d) => ({
        path: d.path,
        type: d.type,
        major: d.major,
        minor: d.minor,
        fileMode: d.fileMode,
        uid: d.uid,
        gid: d.gid,
      })),
      maskedPaths: i.privileged ? [] : (i.maskedPaths ?? DEFAULT_MASKED),
      readonlyPaths: i.privileged ? [] : (i.readonlyPaths ?? DEFAULT_READONLY),
      ...(i.seccomp && !i.privileged ? { seccomp: i.seccomp } : {}),
    },
  };
}

/**
 * `create`/`run` flags and the POST /containers/create body built from them,
 * field for field as the docker CLI sends it (Config + HostConfig +
 * NetworkingConfig, same zero values and nulls).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { ContainerConfigBody, CreateBody, HostConfigBody } from "../../api/schema/containers.js";
import { CliError } from "../client.js";
import {
  collect,
  intArg,
  kvMap,
  normalizeCap,
  parseCpus,
  parseDevice,
  parseEnv,
  parseRestart,
  parseThrottleBps,
  parseThrottleIops,
  parseUlimit,
  parseWeightDevice,
  readKvFile,
} from "./misc.js";
import { type Mount, parseMount, parseTmpfs, parseVolume } from "./mounts.js";
import { type PortMappings, parseExpose, parsePortSpec } from "./ports.js";
import { memSwapBytes, parseDuration, ramInBytes } from "./units.js";

type Opts = Record<string, unknown>;

const LISTS: [string, string][] = [
  ["-a, --attach <stream>", "Attach to STDIN, STDOUT or STDERR"],
  ["-e, --env <list>", "Set environment variables"],
  ["--env-file <file>", "Read in a file of environment variables"],
  ["-l, --label <list>", "Set meta data on a container"],
  ["--label-file <file>", "Read in a line delimited file of labels"],
  ["-p, --publish <list>", "Publish a container's port(s) to the host"],
  ["--expose <list>", "Expose a port or a range of ports"],
  ["--network-alias <list>", "Add network-scoped alias for the container"],
  ["--net-alias <list>", "Add network-scoped alias for the container"],
  ["--add-host <list>", "Add a custom host-to-IP mapping (host:ip)"],
  ["--dns <list>", "Set custom DNS servers"],
  ["--dns-search <list>", "Set custom DNS search domains"],
  ["--dns-option <list>", "Set DNS options"],
  ["--dns-opt <list>", "Set DNS options"],
  ["-v, --volume <list>", "Bind mount a volume"],
  ["--mount <mount>", "Attach a filesystem mount to the container"],
  ["--tmpfs <list>", "Mount a tmpfs directory"],
  ["--volumes-from <list>", "Mount volumes from the specified container(s)"],
  ["--link <list>", "Add link to another container"],
  ["--device-read-bps <list>", "Limit read rate (bytes per second) from a device"],
  ["--device-write-bps <list>", "Limit write rate (bytes per second) to a device"],
  ["--device-read-iops <list>", "Limit read rate (IO per second) from a device"],
  ["--device-write-iops <list>", "Limit write rate (IO per second) to a device"],
  ["--blkio-weight-device <list>", "Block IO weight (relative device weight)"],
  ["--cap-add <list>", "Add Linux capabilities"],
  ["--cap-drop <list>", "Drop Linux capabilities"],
  ["--security-opt <list>", "Security Options"],
  ["--ulimit <ulimit>", "Ulimit options"],
  ["--device <list>", "Add a host device to the container"],
  ["--device-cgroup-rule <list>", "Add a rule to the cgroup allowed devices list"],
  ["--sysctl <map>", "Sysctl options"],
  ["--group-add <list>", "Add additional groups to join"],
  ["--log-opt <list>", "Log driver options"],
  ["--storage-opt <list>", "Storage driver options for the container"],
];

const VALUES: [string, string][] = [
  ["--name <string>", "Assign a name to the container"],
  ["-w, --workdir <string>", "Working directory inside the container"],
  ["-u, --user <string>", "Username or UID (format: <name|uid>[:<group|gid>])"],
  ["--entrypoint <string>", "Overwrite the default ENTRYPOINT of the image"],
  ["-h, --hostname <string>", "Container host name"],
  ["--domainname <string>", "Container NIS domain name"],
  ["--stop-signal <string>", "Signal to stop the container"],
  ["--stop-timeout <int>", "Timeout (in seconds) to stop a container"],
  ["--network <network>", "Connect a container to a network"],
  ["--net <network>", "Connect a container to a network"],
  ["--ip <string>", "IPv4 address (e.g., 172.30.100.104)"],
  ["--ip6 <string>", "IPv6 address (e.g., 2001:db8::33)"],
  ["--mac-address <string>", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"],
  ["-m, --memory <bytes>", "Memory limit"],
  ["--memory-swap <bytes>", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"],
  ["--memory-reservation <bytes>", "Memory soft limit"],
  ["--memory-swappiness <int>", "Tune container memory swappiness (0 to 100)"],
  ["--kernel-memory <bytes>", "Kernel memory limit (ignored)"],
  ["--cpus <decimal>", "Number of CPUs"],
  ["-c, --cpu-shares <int>", "CPU shares (relative weight)"],
  ["--cpu-period <int>", "Limit CPU CFS (Completely Fair Scheduler) period"],
  ["--cpu-quota <int>", "Limit CPU CFS (Completely Fair Scheduler) quota"],
  ["--cpu-rt-period <int>", "Limit CPU real-time period in microseconds"],
  ["--cpu-rt-runtime <int>", "Limit CPU real-time runtime in microseconds"],
  ["--cpuset-cpus <string>", "CPUs in which to allow execution (0-3, 0,1)"],
  ["--cpuset-mems <string>", "MEMs in which to allow execution (0-3, 0,1)"],
  ["--pids-limit <int>", "Tune container pids limit (set -1 for unlimited)"],
  ["--blkio-weight <uint16>", "Block IO (relative weight), between 10 and 1000, or 0 to disable"],
  ["--shm-size <bytes>", "Size of /dev/shm"],
  ["--ipc <string>", "IPC mode to use"],
  ["--pid <string>", "PID namespace to use"],
  ["--uts <string>", "UTS namespace to use"],
  ["--userns <string>", "User namespace to use"],
  ["--cgroupns <string>", "Cgroup namespace to use (host|private)"],
  ["--cgroup-parent <string>", "Optional parent cgroup for the container"],
  ["--restart <string>", "Restart policy to apply when a container exits"],
  ["--oom-score-adj <int>", "Tune host's OOM preferences (-1000 to 1000)"],
  ["--runtime <string>", "Runtime to use for this container"],
  ["--isolation <string>", "Container isolation technology"],
  ["--health-cmd <string>", "Command to run to check health"],
  ["--health-interval <duration>", "Time between running the check (ms|s|m|h)"],
  ["--health-timeout <duration>", "Maximum time to allow one check to run (ms|s|m|h)"],
  ["--health-retries <int>", "Consecutive failures needed to report unhealthy"],
  [
    "--health-start-period <duration>",
    "Start period for the container to initialize before starting health-retries countdown",
  ],
  ["--log-driver <string>", "Logging driver for the container"],
  ["--platform <string>", "Set platform if server is multi-platform capable"],
  ["--pull <string>", 'Pull image before creating ("always", "missing", "never")'],
  ["--cidfile <string>", "Write the container ID to the file"],
];

const BOOLS: [string, string][] = [
  ["-i, --interactive", "Keep STDIN open even if not attached"],
  ["-t, --tty", "Allocate a pseudo-TTY"],
  ["--rm", "Automatically remove the container and its associated anonymous volumes when it exits"],
  ["-P, --publish-all", "Publish all exposed ports to random ports"],
  ["--read-only", "Mount the container's root filesystem as read only"],
  ["--oom-kill-disable", "Disable OOM Killer"],
  ["--privileged", "Give extended privileges to this container"],
  ["--init", "Run an init inside the container that forwards signals and reaps processes"],
  ["--no-healthcheck", "Disable any container-specified HEALTHCHECK"],
  ["-q, --quiet", "Suppress the pull output"],
  ["--disable-content-trust", "Skip image verification (ignored)"],
];

/** Registers docker's create/run flags on a command (-h is --hostname there, as in docker). */
export function addCreateFlags(cmd: Command): Command {
  cmd.helpOption("--help", "Print usage");
  for (const [f, d] of LISTS) cmd.option(f, d, collect, []);
  for (const [f, d] of VALUES) cmd.option(f, d);
  for (const [f, d] of BOOLS) cmd.option(f, d);
  return cmd;
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  pull: string;
  /** POST /containers/create's body, of the type the daemon checks it against (api/schema). */
  body: CreateBody;
}

const list = (o: Opts, k: string): string[] => (o[k] as string[] | undefined) ?? [];
const str = (o: Opts, k: string): string => (o[k] as string | undefined) ?? "";
const num = (o: Opts, k: string, parse: (s: string) => number = intArg): number =>
  o[k] === undefined ? 0 : parse(String(o[k]));
const orNull = <T>(a: T[]): T[] | null => (a.length ? a : null);

function securityOpts(values: string[]): string[] {
  return values.map((v) => {
    const [k, val] = v.includes("=")
      ? [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]
      : v.split(":", 2);
    if (k === "seccomp" && val && val !== "unconfined" && val !== "builtin") {
      let text: string;
      try {
        text = readFileSync(val, "utf8");
      } catch (e) {
        throw new CliError(`opening seccomp profile (${val}) failed: ${(e as Error).message}`);
      }
      return `seccomp=${JSON.stringify(JSON.parse(text))}`;
    }
    return v;
  });
}

function healthcheck(o: Opts): Record<string, unknown> | undefined {
  if (o.healthcheck === false) {
    if (
      o.healthCmd !== undefined ||
      o.healthInterval ||
      o.healthTimeout ||
      o.healthRetries ||
      o.healthStartPeriod
    ) {
      throw new CliError("--no-healthcheck conflicts with --health-* options");
    }
    return { Test: ["NONE"] };
  }
  const hc: Record<string, unknown> = {};
  if (o.healthCmd !== undefined) hc.Test = ["CMD-SHELL", o.healthCmd];
  const dur = (k: string, f: string) => {
    if (o[k] === undefined) return;
    const ns = parseDuration(String(o[k]));
    if (ns < 0) throw new CliError(`--${f} cannot be negative`);
    if (ns) hc[k === "healthInterval" ? "Interval" : k === "healthTimeout" ? "Timeout" : "StartPeriod"] = ns;
  };
  dur("healthInterval", "health-interval");
  dur("healthTimeout", "health-timeout");
  dur("healthStartPeriod", "health-start-period");
  if (o.healthRetries !== undefined) {
    const r = intArg(String(o.healthRetries));
    if (r < 0) throw new CliError("--health-retries cannot be negative");
    if (r) hc.Retries = r;
  }
  return Object.keys(hc).length ? hc : undefined;
}

/** Builds the create request for `image` and its command `args` from parsed flags. */
export function buildCreateRequest(o: Opts, image: string, args: string[], detach = false): CreateRequest {
  const attach = list(o, "attach").map((s) => s.toLowerCase());
  for (const a of attach)
    if (!["stdin", "stdout", "stderr"].includes(a))
      throw new CliError(
        `invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`,
      );
  if (detach && attach.length)
    throw new CliError("conflicting options: cannot specify both --attach and --detach");
  const interactive = !!o.interactive;
  let attachStdin = attach.length ? attach.includes("stdin") : interactive && !detach;
  const attachStdout = attach.length ? attach.includes("stdout") : !detach;
  const attachStderr = attach.length ? attach.includes("stderr") : !detach;
  if (detach) attachStdin = false;
  if (o.rm && o.restart && o.restart !== "no")
    throw new CliError("conflicting options: cannot specify both --restart and --rm");

  const ports: PortMappings = { exposed: {}, bindings: {} };
  for (const p of list(o, "publish")) parsePortSpec(p, ports);
  for (const e of list(o, "expose")) parseExpose(e, ports.exposed);

  const env = [
    ...list(o, "envFile").flatMap((f) => readKvFile(f, true)),
    ...list(o, "env").map((e) => parseEnv(e)),
  ];
  const labels = kvMap([...list(o, "labelFile").flatMap((f) => readKvFile(f, false)), ...list(o, "label")]);

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of list(o, "volume")) {
    const spec = parseVolume(v);
    if (spec.bind) binds.push(spec.bind);
    else if (spec.anonymous) volumes[spec.anonymous] = {};
  }
  const mounts: Mount[] = list(o, "mount").map((m) => parseMount(m));
  const tmpfs: Record<string, string> = {};
  for (const t of list(o, "tmpfs")) parseTmpfs(t, tmpfs);

  let entrypoint: string[] | null = null;
  if (o.entrypoint !== undefined) entrypoint = [String(o.entrypoint)];

  const config: ContainerConfigBody = {
    Hostname: str(o, "hostname"),
    Domainname: str(o, "domainname"),
    User: str(o, "user"),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
  };
  if (Object.keys(ports.exposed).length) config.ExposedPorts = ports.exposed;
  Object.assign(config, {
    Tty: !!o.tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: orNull(env),
    Cmd: orNull(args),
  });
  const hc = healthcheck(o);
  if (hc) config.Healthcheck = hc;
  Object.assign(config, {
    Image: image,
    Volumes: volumes,
    WorkingDir: str(o, "workdir"),
    Entrypoint: entrypoint,
  });
  if (o.macAddress) config.MacAddress = String(o.macAddress);
  Object.assign(config, { OnBuild: null, Labels: labels });
  if (o.stopSignal) config.StopSignal = String(o.stopSignal);
  if (o.stopTimeout !== undefined) config.StopTimeout = intArg(String(o.stopTimeout));

  const networkMode = str(o, "network") || str(o, "net") || "default";
  const logOpts = kvMap(list(o, "logOpt"));
  const host: HostConfigBody = {
    Binds: orNull(binds),
    ContainerIDFile: str(o, "cidfile"),
    LogConfig: { Type: str(o, "logDriver"), Config: logOpts },
    NetworkMode: networkMode,
    PortBindings: ports.bindings,
    RestartPolicy: parseRestart(str(o, "restart") || "no"),
    AutoRemove: !!o.rm,
    VolumeDriver: "",
    VolumesFrom: orNull(list(o, "volumesFrom")),
    // As the docker CLI: a TTY container starts at the client terminal's size.
    ConsoleSize: o.tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : [0, 0],
    CapAdd: orNull(list(o, "capAdd").map(normalizeCap)),
    CapDrop: orNull(list(o, "capDrop").map(normalizeCap)),
    CgroupnsMode: str(o, "cgroupns"),
    Dns: list(o, "dns"),
    DnsOptions: [...list(o, "dnsOption"), ...list(o, "dnsOpt")],
    DnsSearch: list(o, "dnsSearch"),
    ExtraHosts: orNull(list(o, "addHost")),
    GroupAdd: orNull(list(o, "groupAdd")),
    IpcMode: str(o, "ipc"),
    Cgroup: "",
    Links: orNull(list(o, "link")),
    OomScoreAdj: num(o, "oomScoreAdj"),
    PidMode: str(o, "pid"),
    Privileged: !!o.privileged,
    PublishAllPorts: !!o.publishAll,
    ReadonlyRootfs: !!o.readOnly,
    SecurityOpt: orNull(securityOpts(list(o, "securityOpt"))),
  };
  if (list(o, "storageOpt").length) host.StorageOpt = kvMap(list(o, "storageOpt"));
  if (Object.keys(tmpfs).length) host.Tmpfs = tmpfs;
  Object.assign(host, {
    UTSMode: str(o, "uts"),
    UsernsMode: str(o, "userns"),
    ShmSize: num(o, "shmSize", ramInBytes),
  });
  if (list(o, "sysctl").length) host.Sysctls = kvMap(list(o, "sysctl"));
  if (o.runtime) host.Runtime = String(o.runtime);
  const blkioWeight = num(o, "blkioWeight");
  if (blkioWeight && (blkioWeight < 10 || blkioWeight > 1000))
    throw new CliError("invalid argument: blkio-weight must be between 10 and 1000");
  Object.assign(host, {
    Isolation: str(o, "isolation"),
    CpuShares: num(o, "cpuShares"),
    Memory: num(o, "memory", ramInBytes),
    NanoCpus: num(o, "cpus", parseCpus),
    CgroupParent: str(o, "cgroupParent"),
    BlkioWeight: blkioWeight,
    BlkioWeightDevice: list(o, "blkioWeightDevice").map(parseWeightDevice),
    BlkioDeviceReadBps: list(o, "deviceReadBps").map(parseThrottleBps),
    BlkioDeviceWriteBps: list(o, "deviceWriteBps").map(parseThrottleBps),
    BlkioDeviceReadIOps: list(o, "deviceReadIops").map(parseThrottleIops),
    BlkioDeviceWriteIOps: list(o, "deviceWriteIops").map(parseThrottleIops),
    CpuPeriod: num(o, "cpuPeriod"),
    CpuQuota: num(o, "cpuQuota"),
    CpuRealtimePeriod: num(o, "cpuRtPeriod"),
    CpuRealtimeRuntime: num(o, "cpuRtRuntime"),
    CpusetCpus: str(o, "cpusetCpus"),
    CpusetMems: str(o, "cpusetMems"),
    Devices: list(o, "device").map(parseDevice),
    DeviceCgroupRules: orNull(list(o, "deviceCgroupRule")),
    DeviceRequests: null,
    MemoryReservation: num(o, "memoryReservation", ramInBytes),
    MemorySwap: num(o, "memorySwap", memSwapBytes),
    MemorySwappiness: o.memorySwappiness === undefined ? -1 : intArg(String(o.memorySwappiness)),
    OomKillDisable: !!o.oomKillDisable,
    PidsLimit: num(o, "pidsLimit"),
    Ulimits: list(o, "ulimit").map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
  });
  if (o.cpus !== undefined && (o.cpuPeriod !== undefined || o.cpuQuota !== undefined)) {
    throw new CliError("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (mounts.length) host.Mounts = mounts;
  Object.assign(host, { MaskedPaths: null, ReadonlyPaths: null });
  if (o.init) host.Init = true;

  const aliases = [...list(o, "networkAlias"), ...list(o, "netAlias")];
  const ipam: Record<string, string> = {};
  if (o.ip) ipam.IPv4Address = String(o.ip);
  if (o.ip6) ipam.IPv6Address = String(o.ip6);
  const endpoint = {
    IPAMConfig: Object.keys(ipam).length ? ipam : null,
    Links: null,
    Aliases: orNull(aliases),
    MacAddress: "",
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: "",
    EndpointID: "",
    Gateway: "",
    IPAddress: "",
    IPPrefixLen: 0,
    IPv6Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
  // As docker: one explicit network without endpoint options sends no endpoint at all.
  const explicit = !!(o.network || o.net);
  if (!explicit && aliases.length)
    throw new CliError("network-scoped aliases are only supported for user-defined networks");
  const endpoints = explicit && !endpoint.IPAMConfig && !endpoint.Aliases ? {} : { [networkMode]: endpoint };
  const pull = str(o, "pull") || "missing";
  if (!["always", "missing", "never"].includes(pull))
    throw new CliError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  return {
    name: o.name as string | undefined,
    platform: o.platform as string | undefined,
    pull,
    body: { ...config, HostConfig: host, NetworkingConfig: { EndpointsConfig: endpoints } },
  };
}

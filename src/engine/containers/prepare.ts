/**
 * What `start` needs before the runtime can run a container: its network
 * sandbox, generated /etc files, mounts, the resolved user and the OCI spec.
 * The network and volumes are reached through narrow ports so this file does
 * not know how bridges or volume drivers work.
 */

import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { deviceNumbers, deviceOf, hostDevices } from "../../runtime/devices.js";
import { buildSpec, type DeviceSpec, type NsMode, type OciMount } from "../../runtime/spec.js";
import { resolveUser } from "../../runtime/user.js";
import { invalid } from "../../util/errors.js";
import { remap } from "../../util/idmap.js";
import { rootless } from "../../util/rootless.js";
import { parseSignal } from "./config.js";
import { containerEnv } from "./env.js";
import { containerPaths, hostResolvConf, hostsFile, selfHostNames, writeContainerFiles } from "./files.js";
import type { StartHooks } from "./lifecycle.js";
import { linkEnvironment } from "./links.js";
import { containerCgroupsPath } from "./resources.js";
import type { ContainerStore } from "./store.js";
import type { ContainerRecord } from "./types.js";

export interface NetworkSetup {
  /** Network namespace: new, the host's, or a path (a sandbox or another container's). */
  netns: NsMode;
  /** Lines for /etc/hosts about this container ("ip name alias"). */
  hostsEntries: { ip?: string; names: string[] }[];
  resolvConf?: string;
  /** The address `--add-host name:host-gateway` stands for (the default bridge's gateway, as Docker's). */
  hostGateway?: string;
}

/** How containers get networks (network/ implements it; a minimal one serves none/host). */
export interface NetworkPort {
  setup(rec: ContainerRecord): Promise<NetworkSetup>;
  /** After `runc create`: the namespace of `pid` exists; plug it in. */
  created?(rec: ContainerRecord, pid: number): Promise<void>;
  teardown(rec: ContainerRecord): Promise<void>;
  settings(rec: ContainerRecord): Record<string, unknown>;
}

/** How containers get their mounts (volume/ implements it). */
export interface MountPort {
  /** Create time: decides the container's mounts (rec.mounts), creating volumes. */
  resolve(rec: ContainerRecord): Promise<void>;
  /** Resolves binds, volumes and tmpfs into OCI mounts, recording rec.mounts. */
  setup(rec: ContainerRecord, rootfs: string): Promise<OciMount[]>;
  release(rec: ContainerRecord): Promise<void>;
  removed(rec: ContainerRecord, removeVolumes: boolean): Promise<void>;
}

export interface PrepareDeps {
  store: ContainerStore;
  network: NetworkPort;
  mounts: MountPort;
  initPath: string;
  seccomp: (rec: ContainerRecord) => Promise<object | undefined>;
  cgroupParent: string;
}

function nsOf(mode: string | undefined, store: ContainerStore, kind: string): NsMode {
  if (!mode || mode === "" || mode === "private" || mode === "shareable") return { mode: "private" };
  if (mode === "host") return { mode: "host" };
  if (mode.startsWith("container:")) {
    const other = store.resolve(mode.slice("container:".length));
    if (other.state.Status !== "running")
      throw invalid(`cannot join ${kind} of a non running container: ${other.id}`);
    return { mode: "path", path: `/proc/${other.state.Pid}/ns/${kind}` };
  }
  throw invalid(`invalid ${kind} mode: ${mode}`);
}

async function devices(rec: ContainerRecord): Promise<DeviceSpec[]> {
  // --privileged gets every device node of the host, as Docker does; rootless, those the
  // user may open (the others could only be bind-mounted unusable).
  const rl = rootless();
  let out: DeviceSpec[] = rec.hostConfig.Privileged ? await hostDevices() : [];
  if (rl) {
    const usable = await Promise.all(out.map((d) => canOpen(d.path)));
    out = out.filter((_, i) => usable[i]);
  }
  for (const d of rec.hostConfig.Devices ?? []) {
    const st = await stat(d.PathOnHost).catch(() => undefined);
    if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) {
      throw invalid(
        `error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`,
      );
    }
    if (rl && !(await canOpen(d.PathOnHost)))
      throw invalid(
        `rootless: cannot add device "${d.PathOnHost}": uid ${rl.hostUid} cannot read and write it (a rootless container only gets devices its user may open)`,
      );
    const dev = deviceOf(d.PathInContainer || d.PathOnHost, st, d.CgroupPermissions || "rwm");
    if (dev) out.push(dev);
  }
  return out;
}

/** True when this process (rootless: the user, through its namespace) may read and write `path`. */
function canOpen(path: string): Promise<boolean> {
  return access(path, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** A block device's numbers, for the blkio throttle and weight entries. */
async function blockDevice(path: string): Promise<{ major: number; minor: number }> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw invalid(`no such device: ${path}`);
  if (!st.isBlockDevice()) throw invalid(`${path} is not a block device`);
  return deviceNumbers(st.rdev);
}

async function throttles(list: { Path: string; Rate: number }[] | null | undefined) {
  const out = [];
  for (const t of list ?? []) out.push({ ...(await blockDevice(t.Path)), rate: t.Rate });
  return out;
}

async function weights(list: { Path: string; Weight: number }[] | null | undefined) {
  const out = [];
  for (const w of list ?? []) out.push({ ...(await blockDevice(w.Path)), weight: w.Weight });
  return out;
}

export function startHooks(p: PrepareDeps): StartHooks {
  return {
    async prepare(rec, rootfs) {
      const h = rec.hostConfig;
      const paths = containerPaths(p.store.containerDir(rec.id));
      const links = linkEnvironment(rec, p.store);
      const net = await p.network.setup(rec);
      const utsHost = h.UTSMode === "host" || h.NetworkMode === "host";
      // --network container:X shares X's network identity: its hostname too, as in Docker.
      const joined = h.NetworkMode?.startsWith("container:")
        ? p.store.resolve(h.NetworkMode.slice(10))
        : undefined;
      const hostname = utsHost
        ? (await import("node:os")).hostname()
        : (joined?.config.Hostname ?? rec.config.Hostname ?? rec.id.slice(0, 12));
      // As moby's initializeNetworking: the config names the hostname the container really has.
      if (h.NetworkMode === "host") rec.config.Hostname = hostname;
      if (joined) {
        rec.config.Hostname = joined.config.Hostname;
        rec.config.Domainname = joined.config.Domainname;
      }
      const selfNames = selfHostNames(hostname, rec.config.Domainname);
      await writeContainerFiles(paths, {
        hostname,
        hosts:
          h.NetworkMode === "host"
            ? await (await import("node:fs/promises")).readFile("/etc/hosts", "utf8")
            : hostsFile(
                rec,
                net.hostsEntries.map((e) => ({ ip: e.ip, names: [...new Set([...selfNames, ...e.names])] })),
                [
                  ...(h.ExtraHosts ?? []).map((e) =>
                    net.hostGateway ? e.replace(/:host-gateway$/, `:${net.hostGateway}`) : e,
                  ),
                  ...links.hosts,
                ],
              ),
        resolvConf:
          net.resolvConf ??
          (await hostResolvConf({
            dns: h.Dns ?? [],
            search: h.DnsSearch ?? [],
            options: h.DnsOptions ?? [],
          })),
      });
      const etc: OciMount[] = [
        {
          destination: "/etc/resolv.conf",
          type: "bind",
          source: paths.resolvConf,
          options: ["rbind", "rprivate"],
        },
        {
          destination: "/etc/hostname",
          type: "bind",
          source: paths.hostname,
          options: ["rbind", "rprivate"],
        },
        { destination: "/etc/hosts", type: "bind", source: paths.hosts, options: ["rbind", "rprivate"] },
      ];
      const userMounts = await p.mounts.setup(rec, rootfs);
      const user = await resolveUser(rootfs, rec.config.User ?? "", h.GroupAdd ?? []);
      let args = [rec.path, ...rec.args];
      const mounts = [...etc, ...userMounts];
      if (h.Init) {
        mounts.push({
          destination: "/sbin/docker-init",
          type: "bind",
          source: p.initPath,
          options: ["rbind", "ro"],
        });
        args = ["/sbin/docker-init", "--", ...args];
      }
      // "NAME" without a value (unset on the client) is dropped, as Docker does.
      const env = containerEnv(rec.config, { hostname, tty: rec.config.Tty, linked: links.env });
      if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${user.home}`);
      const sec = h.SecurityOpt ?? [];
      return buildSpec({
        rootfs,
        readonlyRootfs: h.ReadonlyRootfs ?? false,
        args,
        env,
        cwd: rec.config.WorkingDir || "/",
        user,
        terminal: rec.config.Tty ?? false,
        // The CLI sends its terminal's size at create (`docker run -t`): the shell's first
        // `stty size` must not see 0x0 before the first resize arrives. As Docker's daemon.
        consoleSize: consoleSizeOf(h.ConsoleSize),
        hostname,
        domainname: rec.config.Domainname,
        mounts,
        network: net.netns,
        pid: nsOf(h.PidMode, p.store, "pid"),
        ipc: nsOf(h.IpcMode, p.store, "ipc"),
        uts: utsHost ? { mode: "host" } : { mode: "private" },
        privileged: h.Privileged ?? false,
        capAdd: h.CapAdd,
        capDrop: h.CapDrop,
        noNewPrivileges: sec.some((s) => /^no-new-privileges(:true|=true)?$/.test(s)),
        resources: {
          memory: h.Memory,
          memoryReservation: h.MemoryReservation,
          memorySwap: h.MemorySwap,
          memorySwappiness: h.MemorySwappiness,
          oomKillDisable: h.OomKillDisable ?? false,
          cpuShares: h.CpuShares,
          cpuPeriod: h.CpuPeriod,
          cpuQuota: h.CpuQuota,
          nanoCpus: h.NanoCpus,
          cpusetCpus: h.CpusetCpus,
          cpusetMems: h.CpusetMems,
          pidsLimit: h.PidsLimit,
          blkioWeight: h.BlkioWeight,
          blkioReadBps: await throttles(h.BlkioDeviceReadBps),
          blkioWriteBps: await throttles(h.BlkioDeviceWriteBps),
          blkioReadIOps: await throttles(h.BlkioDeviceReadIOps),
          blkioWriteIOps: await throttles(h.BlkioDeviceWriteIOps),
          blkioWeightDevice: await weights(h.BlkioWeightDevice),
        },
        // No parent (rootless without a delegated cgroup): runc skips cgroups it may not make.
        cgroupsPath: containerCgroupsPath(h.CgroupParent, rec.id, p.cgroupParent),
        sysctls: h.Sysctls ?? {},
        devices: await devices(rec),
        idMap: h.UsernsMode === "host" ? undefined : remap(),
        ulimits: h.Ulimits ?? [],
        shmSize: h.ShmSize ?? 0,
        maskedPaths: h.MaskedPaths,
        readonlyPaths: h.ReadonlyPaths,
        seccomp: await p.seccomp(rec),
        annotations: { "io.berth.stop-signal": String(parseSignal(rec.config.StopSignal, 15)) },
      });
    },
    async created(rec, pid) {
      await p.network.created?.(rec, pid);
    },
    async release(rec) {
      await p.network.teardown(rec);
      await p.mounts.release(rec);
    },
    async removed(rec, removeVolumes) {
      await p.mounts.removed(rec, removeVolumes);
    },
  };
}

/** HostConfig.ConsoleSize ([rows, columns]; [0, 0] when the client has no terminal) as a spec box. */
function consoleSizeOf(size: number[] | null | undefined): { height: number; width: number } | undefined {
  const [height = 0, width = 0] = size ?? [];
  return height > 0 && width > 0 ? { height, width } : undefined;
}

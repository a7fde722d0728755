/** Daemon settings: defaults, /etc/berth/daemon.json, then command-line flags. */
import type { RegistryOptions } from "../registry/server/index.js";

export interface DaemonConfig {
  root: string;
  execRoot: string;
  hosts: string[];
  logLevel: string;
  /** "text" or "json"; undefined: text on a terminal, else json. */
  logFormat?: string;
  /** Log to this file (appended) instead of stderr. */
  logFile?: string;
  /** Group owning the unix API sockets berthd creates (dockerd's --group); "" keeps root's. */
  group: string;
  /** OCI runtime name -> binary; `defaultRuntime` picks one. */
  runtimes: Record<string, string>;
  defaultRuntime: string;
  conmon: string;
  /** Registries reached over plain HTTP (besides localhost and 127.0.0.0/8). */
  insecureRegistries: string[];
  registryMirrors: string[];
  /** Name of the default bridge interface and the pool subnets are picked from. */
  bridge: string;
  subnetPool: string[];
  /** Prefix for host network objects (tables, chains, veths) of this daemon. */
  networkPrefix: string;
  tls?: { verify: boolean; ca?: string; cert?: string; key?: string };
  /** Run berth's own registry server inside the daemon ("127.0.0.1:5000"). */
  /** daemon.json "registry-server": {addr, root?, htpasswd?, "token-auth"?, "tls-cert"?, "tls-key"?}. */
  registryServer?: Pick<RegistryOptions, "addr" | "root" | "htpasswd" | "tokenAuth" | "tlsCert" | "tlsKey">;
  usernsRemap?: string;
  seccompProfile?: string;
  init: string;
  /** daemon.json "log-driver" and "log-opts": what containers get when they name no driver. */
  logDriver: string;
  logOpts: Record<string, string>;
  /** Rootless mode (berthd run by an ordinary user, inside rootlesskit's namespaces). */
  rootless?: boolean;
  /** "overlay2" (the kernel's overlayfs) or "fuse-overlayfs"; daemon.json "storage-driver". */
  storageDriver: string;
}

export function defaultConfig(): DaemonConfig {
  return {
    root: "/var/lib/berth",
    execRoot: "/run/berth",
    hosts: [],
    logLevel: "info",
    group: "berth",
    runtimes: { runc: "/usr/sbin/runc", crun: "/usr/bin/crun" },
    defaultRuntime: "runc",
    conmon: "/usr/bin/conmon",
    insecureRegistries: [],
    registryMirrors: [],
    bridge: "berth0",
    subnetPool: ["10.88.0.0/16", "10.89.0.0/16", "10.90.0.0/16", "10.91.0.0/16", "172.30.0.0/16"],
    networkPrefix: "berth",
    init: "/usr/bin/tini-static",
    logDriver: "json-file",
    logOpts: {},
    storageDriver: "overlay2",
  };
}

/** daemon.json keys use Docker's names where Docker has one. */
export function mergeFileConfig(cfg: DaemonConfig, file: Record<string, unknown>): DaemonConfig {
  const out = { ...cfg };
  const str = (k: string) => (typeof file[k] === "string" ? (file[k] as string) : undefined);
  const strs = (k: string) => (Array.isArray(file[k]) ? (file[k] as string[]) : undefined);
  out.root = str("data-root") ?? str("root") ?? out.root;
  out.execRoot = str("exec-root") ?? out.execRoot;
  out.hosts = strs("hosts") ?? out.hosts;
  out.logLevel = str("log-level") ?? out.logLevel;
  out.logFormat = str("log-format") ?? out.logFormat;
  out.logFile = str("log-file") ?? out.logFile;
  out.group = str("group") ?? out.group;
  out.defaultRuntime = str("default-runtime") ?? out.defaultRuntime;
  const runtimes = file.runtimes as Record<string, { path?: string }> | undefined;
  if (runtimes) for (const [k, v] of Object.entries(runtimes)) if (v.path) out.runtimes[k] = v.path;
  out.conmon = str("conmon") ?? out.conmon;
  out.insecureRegistries = strs("insecure-registries") ?? out.insecureRegistries;
  out.registryMirrors = strs("registry-mirrors") ?? out.registryMirrors;
  out.bridge = str("bridge") ?? out.bridge;
  out.networkPrefix = str("network-prefix") ?? out.networkPrefix;
  const pools = file["default-address-pools"] as { base: string }[] | undefined;
  if (pools) out.subnetPool = pools.map((p) => p.base);
  out.usernsRemap = str("userns-remap") ?? out.usernsRemap;
  out.seccompProfile = str("seccomp-profile") ?? out.seccompProfile;
  out.logDriver = str("log-driver") ?? out.logDriver;
  out.storageDriver = str("storage-driver") ?? out.storageDriver;
  const logOpts = file["log-opts"];
  if (logOpts && typeof logOpts === "object") out.logOpts = { ...(logOpts as Record<string, string>) };
  const reg = file["registry-server"] as Record<string, unknown> | undefined;
  if (typeof reg?.addr === "string") {
    const opt = (k: string) => (typeof reg[k] === "string" ? (reg[k] as string) : undefined);
    out.registryServer = {
      addr: reg.addr,
      root: opt("root"),
      htpasswd: opt("htpasswd"),
      tokenAuth: reg["token-auth"] === true,
      tlsCert: opt("tls-cert"),
      tlsKey: opt("tls-key"),
    };
  }
  if (file.tlsverify || file.tls) {
    out.tls = {
      verify: Boolean(file.tlsverify),
      ca: str("tlscacert"),
      cert: str("tlscert"),
      key: str("tlskey"),
    };
  }
  return out;
}

/**
 * Rootless berthd: run by an ordinary user, it re-executes itself under
 * rootlesskit (Debian's), which makes a user namespace mapped from
 * /etc/subuid and /etc/subgid with newuidmap/newgidmap, a mount namespace
 * with /etc and /run copied up, and a network namespace whose outbound
 * traffic goes through slirp4netns; its builtin port driver publishes ports
 * on the host. rootlesskit also owns the child's lifetime: signals are
 * forwarded, and the namespaces (a pid namespace too) end with the child.
 *
 *   parent (uid 1000): rootlessPaths() -> checkRootlessHost() -> runRootlessKit()
 *   child (uid 0 in the userns): enterRootlessChild() -> the usual start
 *
 * Paths follow Docker's rootless mode (XDG base directories).
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, chmod, mkdir, readFile, stat } from "node:fs/promises";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { DaemonConfig } from "../engine/config.js";
import { useUserOverlayXattrs } from "../layer/overlayxattr.js";
import { overlayWorks } from "../snapshot/probe.js";
import { MS_BIND, MS_REC, mount } from "../sys/libc.js";
import { type IdMap, setRemap } from "../util/idmap.js";
import { setRootless } from "../util/rootless.js";

/** Set by the parent for the child: the host facts the child cannot read from inside. */
const CHILD_ENV = "_BERTH_ROOTLESS_CHILD";

export interface RootlessPaths {
  /** $XDG_DATA_HOME/berth (~/.local/share/berth). */
  root: string;
  /** $XDG_RUNTIME_DIR/berth. */
  execRoot: string;
  /** unix://$XDG_RUNTIME_DIR/berth.sock. */
  host: string;
  /** $XDG_CONFIG_HOME/berth/daemon.json (~/.config/berth/daemon.json). */
  configFile: string;
}

/** Docker's rootless defaults; throws when $XDG_RUNTIME_DIR is unset (as dockerd-rootless.sh). */
export function rootlessPaths(env: NodeJS.ProcessEnv = process.env): RootlessPaths {
  const home = env.HOME || homedir();
  const runtime = env.XDG_RUNTIME_DIR;
  if (!runtime)
    throw new Error(
      "rootless: $XDG_RUNTIME_DIR is not set (a login session sets /run/user/$UID; or export it to a directory you own, mode 0700)",
    );
  return {
    root: join(env.XDG_DATA_HOME || join(home, ".local/share"), "berth"),
    execRoot: join(runtime, "berth"),
    host: `unix://${join(runtime, "berth.sock")}`,
    configFile: join(env.XDG_CONFIG_HOME || join(home, ".config"), "berth/daemon.json"),
  };
}

/** True inside the namespaces rootlesskit made for berthd. */
export function inRootlessChild(): boolean {
  return process.env[CHILD_ENV] !== undefined;
}

async function subordinateRange(file: string, names: string[]): Promise<number> {
  const text = await readFile(file, "utf8").catch(() => "");
  let total = 0;
  for (const line of text.split("\n")) {
    const [who, , size] = line.trim().split(":");
    if (who && names.includes(who)) total += Number(size) || 0;
  }
  return total;
}

/** The first executable `name` on PATH, then in the system directories a minimal PATH may lack. */
async function onPath(name: string): Promise<string | undefined> {
  const path = (process.env.PATH || "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").split(":");
  for (const dir of [...path, "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    const p = join(dir, name);
    if (
      await access(p, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return undefined;
}

/**
 * Fails, naming what is missing and how to get it, when this user cannot run
 * rootless: the binaries, subordinate ranges, /dev/net/tun, user namespaces.
 */
export async function checkRootlessHost(): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const need: [string, string][] = [
    ["rootlesskit", "apt-get install rootlesskit"],
    ["slirp4netns", "apt-get install slirp4netns"],
    ["newuidmap", "apt-get install uidmap"],
    ["newgidmap", "apt-get install uidmap"],
  ];
  for (const [bin, how] of need) {
    const p = await onPath(bin);
    if (!p) throw new Error(`rootless: ${bin} not found on the PATH (${how})`);
    found[bin] = p;
  }
  const user = userInfo();
  const names = [user.username, String(user.uid)];
  if ((await subordinateRange("/etc/subuid", names)) < 65536)
    throw new Error(
      `rootless: ${user.username} needs at least 65536 subordinate uids in /etc/subuid (as root: usermod --add-subuids 100000-165535 ${user.username})`,
    );
  const group = [user.username, String(user.gid)];
  if ((await subordinateRange("/etc/subgid", group)) < 65536)
    throw new Error(
      `rootless: ${user.username} needs at least 65536 subordinate gids in /etc/subgid (as root: usermod --add-subgids 100000-165535 ${user.username})`,
    );
  const max = await readFile("/proc/sys/user/max_user_namespaces", "utf8").catch(() => "1");
  if (Number(max) === 0)
    throw new Error(
      "rootless: user namespaces are disabled (as root: sysctl user.max_user_namespaces=28633)",
    );
  const clone = await readFile("/proc/sys/kernel/unprivileged_userns_clone", "utf8").catch(() => "1");
  if (Number(clone) === 0)
    throw new Error(
      "rootless: unprivileged user namespaces are disabled (as root: sysctl kernel.unprivileged_userns_clone=1)",
    );
  if (
    !(await access("/dev/net/tun", constants.R_OK | constants.W_OK).then(
      () => true,
      () => false,
    ))
  )
    throw new Error(
      "rootless: /dev/net/tun is not readable and writable by this user, and slirp4netns needs it (as root: chmod 0666 /dev/net/tun, the mode udev gives it)",
    );
  return found;
}

/**
 * Runs berthd again under rootlesskit with the same arguments and resolves
 * with its exit code. The child learns the host's unprivileged port start and
 * the user's uid through the environment (it cannot read them from inside).
 */
export async function runRootlessKit(paths: RootlessPaths, bins: Record<string, string>): Promise<number> {
  await mkdir(paths.execRoot, { recursive: true, mode: 0o700 });
  const stateDir = join(paths.execRoot, "rootlesskit");
  const portStart = await readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").catch(
    () => "1024",
  );
  const args = [
    `--state-dir=${stateDir}`,
    "--net=slirp4netns",
    `--slirp4netns-binary=${bins.slirp4netns}`,
    "--mtu=65520",
    "--slirp4netns-sandbox=auto",
    "--slirp4netns-seccomp=auto",
    // Containers must not reach services on the host's loopback through 10.0.2.2.
    "--disable-host-loopback",
    "--port-driver=builtin",
    // Writable /etc (resolv.conf pointing at slirp4netns' DNS) and /run (netns, locks).
    "--copy-up=/etc",
    "--copy-up=/run",
    // Its own pid namespace, rootlesskit's child as reaper: if berthd dies, even killed, the
    // kernel ends every conmon and container with it (their network is gone anyway).
    "--pidns",
    process.execPath,
    ...process.execArgv,
    ...process.argv.slice(1),
  ];
  const child = spawn(bins.rootlesskit, args, {
    stdio: "inherit",
    env: {
      ...process.env,
      [CHILD_ENV]: JSON.stringify({ uid: process.getuid?.() ?? 0, portStart: Number(portStart.trim()) }),
    },
  });
  // rootlesskit forwards these to berthd inside; we only must not die of them first.
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
    process.on(sig, () => {
      child.kill(sig);
    });
  return await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}

/** What the child learned from its parent and from its own namespace. */
export interface RootlessChild {
  hostUid: number;
  portStart: number;
  stateDir: string;
  /** The data root as the user knows it (berthd uses an alias of it inside). */
  dataRoot: string;
  /** Container ids 0..size-1 map to these ids of berthd's namespace (the subordinate ones). */
  idMap: IdMap;
}

/** The mapping of `/proc/self/{uid,gid}_map` that starts at inside id 1 (the subordinate range). */
async function subordinateInside(file: string): Promise<number> {
  const text = await readFile(file, "utf8");
  for (const line of text.trim().split("\n")) {
    const [inside, , count] = line.trim().split(/\s+/).map(Number);
    if (inside === 1 && count) return count;
  }
  throw new Error(`rootless: ${file} maps no subordinate ids (${text.trim().replace(/\n/g, "; ")})`);
}

/**
 * Inside rootlesskit's namespaces: reads the id range containers get and binds
 * the data root and exec root at /run/berth-rootless/{root,exec}, a tmpfs path
 * only this mount namespace sees. Containers run in their own user namespace
 * (their root is a subordinate id, not the user), and runc sets a container up
 * as that root, which must be able to walk to its rootfs and /etc files:
 * $HOME and $XDG_RUNTIME_DIR are usually 0700, the aliases' parents are not.
 */
export async function enterRootlessChild(paths: { root: string; execRoot: string }): Promise<{
  info: RootlessChild;
  root: string;
  execRoot: string;
}> {
  const facts = JSON.parse(process.env[CHILD_ENV] ?? "{}") as { uid?: number; portStart?: number };
  const stateDir = process.env.ROOTLESSKIT_STATE_DIR;
  if (!stateDir) throw new Error("rootless: not started by rootlesskit (ROOTLESSKIT_STATE_DIR unset)");
  const size = Math.min(
    await subordinateInside("/proc/self/uid_map"),
    await subordinateInside("/proc/self/gid_map"),
    65536,
  );
  const base = "/run/berth-rootless";
  const alias = { root: join(base, "root"), execRoot: join(base, "exec") };
  for (const [real, at] of [
    [paths.root, alias.root],
    [paths.execRoot, alias.execRoot],
  ] as const) {
    await mkdir(real, { recursive: true, mode: 0o711 });
    await mkdir(at, { recursive: true, mode: 0o711 });
    const [a, r] = [await stat(at), await stat(real)];
    if (a.dev !== r.dev || a.ino !== r.ino) mount(real, at, "", MS_BIND | MS_REC, "");
  }
  // Searchable (not readable) by the containers' roots, which are subordinate ids.
  for (const d of [base, paths.root, paths.execRoot]) await chmod(d, 0o711);
  return {
    info: {
      hostUid: facts.uid ?? 0,
      portStart: facts.portStart ?? 1024,
      stateDir,
      dataRoot: paths.root,
      idMap: { uid: 1, gid: 1, size },
    },
    ...alias,
  };
}

/**
 * Rootless, once the root is locked: containers get the user's subordinate ids
 * (their own user namespace inside berthd's), overlay metadata goes to
 * user.overlay.* xattrs, the kernel's overlayfs is tried (fuse-overlayfs when it
 * refuses), and what cannot be applied is said at start.
 */
export async function startRootless(cfg: DaemonConfig, child: RootlessChild, log: Logger): Promise<void> {
  setRemap(child.idMap);
  useUserOverlayXattrs(true);
  if (cfg.storageDriver === "overlay2" && !(await overlayWorks(join(cfg.root, "tmp")))) {
    log.warn("rootless: the kernel refuses overlayfs in a user namespace: using fuse-overlayfs");
    cfg.storageDriver = "fuse-overlayfs";
  }
  // Limits would need a cgroup v2 subtree delegated to the user (systemd's Delegate=yes),
  // which berth does not use yet; a v1 or hybrid host has none to delegate.
  const unified = await access("/sys/fs/cgroup/cgroup.controllers").then(
    () => true,
    () => false,
  );
  const cgroupsReason = unified
    ? `berth does not apply limits through a delegated cgroup v2 subtree yet (uid ${child.hostUid})`
    : `no cgroup v2 subtree can be delegated to uid ${child.hostUid}: this host's cgroups are v1 (or hybrid)`;
  setRootless({
    hostUid: child.hostUid,
    portStart: child.portStart,
    cgroupsDelegated: false,
    cgroupsReason,
    stateDir: child.stateDir,
    dataRoot: child.dataRoot,
  });
  log.warn(
    `rootless: ${cgroupsReason}: resource limits (--memory, --cpus, --pids-limit, --blkio-weight, ...) are refused`,
  );
  log.info(
    {
      uid: child.hostUid,
      containerIds: `1..${child.idMap.size} of the namespace`,
      driver: cfg.storageDriver,
    },
    "rootless mode",
  );
}

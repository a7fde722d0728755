#!/usr/bin/env node
/**
 * berthd: the daemon. Reads /etc/berth/daemon.json and flags, checks the
 * host, locks its root, starts the engine and serves the Engine API until
 * SIGTERM/SIGINT.
 */

import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { checkHosts, listen } from "../api/server.js";
import { type DaemonConfig, defaultConfig, mergeFileConfig } from "../engine/config.js";
import { isErrno } from "../util/errors.js";
import { resolveRemap, setRemap } from "../util/idmap.js";
import { lockRoot } from "../util/lock.js";
import { checkHost } from "./checks.js";
import { daemonProgram } from "./flags.js";
import { DEFAULT_GROUP, lookupGroup } from "./group.js";
import { createLogger, parseLogFormat } from "./logging.js";
import {
  checkRootlessHost,
  enterRootlessChild,
  inRootlessChild,
  rootlessPaths,
  runRootlessKit,
  startRootless,
} from "./rootless.js";
import { startEngine } from "./start.js";
import { fdsForHost, sdNotify, takeActivationFds } from "./systemd.js";

async function main(): Promise<void> {
  const program = daemonProgram();
  program.parse();
  const o = program.opts();
  // An ordinary user gets rootless mode: re-run under rootlesskit, with XDG paths.
  const rootlessPathsOf =
    o.rootless || inRootlessChild() || process.getuid?.() !== 0 ? rootlessPaths() : undefined;
  if (rootlessPathsOf && !inRootlessChild()) {
    const bins = await checkRootlessHost();
    process.exit(await runRootlessKit(rootlessPathsOf, bins));
  }
  const configFile =
    rootlessPathsOf && program.getOptionValueSource("configFile") === "default"
      ? rootlessPathsOf.configFile
      : o.configFile;

  let cfg: DaemonConfig = defaultConfig();
  if (rootlessPathsOf) {
    cfg.rootless = true;
    cfg.root = rootlessPathsOf.root;
    cfg.execRoot = rootlessPathsOf.execRoot;
    cfg.hosts = [rootlessPathsOf.host];
    cfg.group = ""; // the socket stays the user's own
  }
  try {
    cfg = mergeFileConfig(cfg, JSON.parse(await readFile(configFile, "utf8")));
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw new Error(`cannot read ${configFile}: ${(err as Error).message}`);
  }
  cfg.root = o.root ?? o.dataRoot ?? cfg.root;
  cfg.execRoot = o.execRoot ?? cfg.execRoot;
  if (o.host.length) cfg.hosts = o.host;
  if (cfg.hosts.length === 0) cfg.hosts = [`unix://${cfg.execRoot}/berth.sock`];
  cfg.logLevel = o.logLevel ?? cfg.logLevel;
  cfg.logFormat = parseLogFormat(o.logFormat ?? cfg.logFormat);
  cfg.logFile = o.logFile ?? cfg.logFile;
  const groupExplicit = o.group !== undefined || cfg.group !== DEFAULT_GROUP;
  cfg.group = o.group ?? cfg.group;
  cfg.defaultRuntime = o.defaultRuntime ?? cfg.defaultRuntime;
  cfg.bridge = o.bridge ?? cfg.bridge;
  cfg.networkPrefix = o.networkPrefix ?? cfg.networkPrefix;
  cfg.insecureRegistries.push(...o.insecureRegistry);
  cfg.registryMirrors.push(...o.registryMirror);
  cfg.usernsRemap = o.usernsRemap ?? cfg.usernsRemap;
  cfg.storageDriver = o.storageDriver ?? cfg.storageDriver;
  if (!["overlay2", "fuse-overlayfs"].includes(cfg.storageDriver))
    throw new Error(`unknown storage driver ${cfg.storageDriver} (overlay2 or fuse-overlayfs)`);
  if (cfg.rootless && cfg.usernsRemap)
    throw new Error(
      "rootless: userns-remap cannot be used (containers already get the user's subordinate ids)",
    );
  if (o.tlsverify || o.tls)
    cfg.tls = { verify: Boolean(o.tlsverify), ca: o.tlscacert, cert: o.tlscert, key: o.tlskey };

  const log = createLogger({
    level: cfg.logLevel,
    format: cfg.logFormat as "text" | "json" | undefined,
    file: cfg.logFile,
  });
  // One operation's failure must not take the API (and every container's supervision) down:
  // a rejection nobody handled is a bug, logged loudly (test/helpers/daemon.ts fails a test
  // that leaves one), and the daemon keeps serving. Exceptions still end it (state unknown).
  process.on("unhandledRejection", (err) => log.error({ err }, "BUG: unhandled rejection"));
  checkHosts(cfg.hosts, cfg.tls); // a daemon that will refuse to listen must not touch anything
  const activated = takeActivationFds();
  if (cfg.hosts.some((h) => h.startsWith("fd://")))
    for (const h of cfg.hosts) if (h.startsWith("fd://")) fdsForHost(h, activated);
  let socketGid: number | undefined;
  // The group owns the unix sockets berthd makes and the exec-root, which may hold a socket
  // systemd made (/run/berth/berth.sock with -H fd://).
  if (cfg.group) {
    socketGid = await lookupGroup(cfg.group);
    if (socketGid === undefined) {
      if (groupExplicit) throw new Error(`group ${cfg.group} not found (create it, or pass --group "")`);
      log.warn({ group: cfg.group }, "socket group not found: the API socket stays root:root");
    }
  }
  await checkHost(cfg);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(cfg.root, { recursive: true, mode: 0o711 });
  const lock = await lockRoot(cfg.root);
  if (cfg.rootless) {
    // From here on the daemon's root and exec root are reached through paths every
    // container's root can walk (see enterRootlessChild); the lock, taken above, names
    // the real one in its error.
    const child = await enterRootlessChild({ root: cfg.root, execRoot: cfg.execRoot });
    cfg.root = child.root;
    cfg.execRoot = child.execRoot;
    await startRootless(cfg, child.info, log);
  } else if (cfg.usernsRemap) await applyRemap(cfg);
  else await prepareExecRoot(cfg.execRoot, socketGid);

  const { engine, router, extra } = await startEngine(cfg, log);
  const listeners = await listen(cfg.hosts, router, log, cfg.tls, {
    socketGid,
    activation: activated.length ? { fds: activated, pick: fdsForHost } : undefined,
  });
  log.info(
    { hosts: listeners.map((l) => l.address), root: cfg.root, execRoot: cfg.execRoot },
    "berthd ready",
  );
  // Type=notify: systemd starts dependents (and reports the unit started) only now.
  if (sdNotify(`READY=1\nMAINPID=${process.pid}`)) log.debug("notified systemd: READY=1");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    sdNotify("STOPPING=1");
    for (const l of listeners) l.server.close();
    for (const l of listeners) l.server.closeAllConnections();
    await extra.shutdown();
    await engine.shutdown();
    await lock.close();
    log.info("stopped");
    log.flush?.();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * The exec-root holds the default socket (/run/berth/berth.sock) but also the
 * containers' runtime state: root-only (0700), or 0710 root:<socket group> so
 * that the group's members (who may use the API anyway) can reach the socket.
 */
async function prepareExecRoot(dir: string, socketGid: number | undefined): Promise<void> {
  const { chmod, chown, mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, 0, socketGid ?? 0);
  await chmod(dir, socketGid === undefined ? 0o700 : 0o710);
}

/**
 * userns-remap, as Docker does it: the images, layers and containers of a
 * remapped daemon live in <root>/<uid>.<gid>, stored in the remapped id space,
 * and every directory a container's root must walk through is searchable.
 */
async function applyRemap(cfg: DaemonConfig): Promise<void> {
  const { chmod, mkdir } = await import("node:fs/promises");
  const m = resolveRemap(cfg.usernsRemap ?? "");
  setRemap(m);
  const base = cfg.root;
  cfg.root = join(base, `${m.uid}.${m.gid}`);
  await mkdir(cfg.root, { recursive: true, mode: 0o711 });
  await mkdir(cfg.execRoot, { recursive: true, mode: 0o711 });
  for (const dir of [base, cfg.root, cfg.execRoot]) await chmod(dir, 0o711);
  for (const start of [dirname(base), dirname(cfg.execRoot)]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0)
        throw new Error(
          `userns-remap: ${dir} must be searchable by others (chmod o+x) for remapped containers`,
        );
      if (dir === "/") break;
    }
  }
}

main().catch((err) => {
  process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

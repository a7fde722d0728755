#!/usr/bin/env node
/**
 * berthd: the daemon. Reads /etc/berth/daemon.json and flags, checks the
 * host, locks its root, starts the engine and serves the Engine API until
 * SIGTERM/SIGINT.
 */
// koffi's async calls and fs streams share the libuv pool; attach sockets block a thread each.
process.env.UV_THREADPOOL_SIZE ??= "64";
import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { pino } from "pino";
import { checkHosts, listen } from "../api/server.js";
import { defaultConfig, mergeFileConfig } from "../engine/config.js";
import { isErrno } from "../util/errors.js";
import { resolveRemap, setRemap } from "../util/idmap.js";
import { lockRoot } from "../util/lock.js";
import { checkHost } from "./checks.js";
import { startEngine } from "./start.js";
const collect = (v, prev) => [...prev, v];
async function main() {
    const program = new Command("berthd")
        .description("berth daemon: serves the Docker Engine API")
        .option("--config-file <path>", "daemon configuration file", "/etc/berth/daemon.json")
        .option("--root <dir>", "root of persistent state (default /var/lib/berth)")
        .option("--data-root <dir>", "alias of --root")
        .option("--exec-root <dir>", "root of runtime state (default /run/berth)")
        .option("-H, --host <address>", "socket to listen on (unix:///path or tcp://host:port), repeatable", collect, [])
        .option("-l, --log-level <level>", "debug, info, warn, error, fatal")
        .option("--default-runtime <name>", "OCI runtime: runc or crun")
        .option("--bridge <name>", "name of the default bridge interface")
        .option("--network-prefix <prefix>", "prefix of host network objects (tables, veths)")
        .option("--insecure-registry <host>", "registry reached over plain HTTP, repeatable", collect, [])
        .option("--registry-mirror <url>", "registry mirror, repeatable", collect, [])
        .option("--userns-remap <user>", "remap container root to this user's subordinate ids")
        .option("--tls", "use TLS on TCP listeners")
        .option("--tlsverify", "require and verify client certificates")
        .option("--tlscacert <file>", "CA to verify clients")
        .option("--tlscert <file>", "server certificate")
        .option("--tlskey <file>", "server key")
        .version("0.1.0");
    program.parse();
    const o = program.opts();
    let cfg = defaultConfig();
    try {
        cfg = mergeFileConfig(cfg, JSON.parse(await readFile(o.configFile, "utf8")));
    }
    catch (err) {
        if (!isErrno(err, "ENOENT"))
            throw new Error(`cannot read ${o.configFile}: ${err.message}`);
    }
    cfg.root = o.root ?? o.dataRoot ?? cfg.root;
    cfg.execRoot = o.execRoot ?? cfg.execRoot;
    if (o.host.length)
        cfg.hosts = o.host;
    if (cfg.hosts.length === 0)
        cfg.hosts = [`unix://${cfg.execRoot}/berth.sock`];
    cfg.logLevel = o.logLevel ?? cfg.logLevel;
    cfg.defaultRuntime = o.defaultRuntime ?? cfg.defaultRuntime;
    cfg.bridge = o.bridge ?? cfg.bridge;
    cfg.networkPrefix = o.networkPrefix ?? cfg.networkPrefix;
    cfg.insecureRegistries.push(...o.insecureRegistry);
    cfg.registryMirrors.push(...o.registryMirror);
    cfg.usernsRemap = o.usernsRemap ?? cfg.usernsRemap;
    if (o.tlsverify || o.tls)
        cfg.tls = { verify: Boolean(o.tlsverify), ca: o.tlscacert, cert: o.tlscert, key: o.tlskey };
    const log = pino({ level: cfg.logLevel, base: { pid: process.pid } }, pino.destination(2));
    // One operation's failure must not take the API (and every container's supervision) down:
    // a rejection nobody handled is a bug, logged loudly (test/helpers/daemon.ts fails a test
    // that leaves one), and the daemon keeps serving. Exceptions still end it (state unknown).
    process.on("unhandledRejection", (err) => log.error({ err }, "BUG: unhandled rejection"));
    checkHosts(cfg.hosts, cfg.tls); // a daemon that will refuse to listen must not touch anything
    await checkHost(cfg);
    const { mkdir } = await import("node:fs/promises");
    await mkdir(cfg.root, { recursive: true, mode: 0o711 });
    const lock = await lockRoot(cfg.root);
    if (cfg.usernsRemap)
        await applyRemap(cfg);
    const { engine, router, extra } = await startEngine(cfg, log);
    const listeners = await listen(cfg.hosts, router, log, cfg.tls);
    log.info({ hosts: cfg.hosts, root: cfg.root, execRoot: cfg.execRoot }, "berthd ready");
    let stopping = false;
    const stop = async (signal) => {
        if (stopping)
            return;
        stopping = true;
        log.info({ signal }, "shutting down");
        for (const l of listeners)
            l.server.close();
        for (const l of listeners)
            l.server.closeAllConnections();
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
 * userns-remap, as Docker does it: the images, layers and containers of a
 * remapped daemon live in <root>/<uid>.<gid>, stored in the remapped id space,
 * and every directory a container's root must walk through is searchable.
 */
async function applyRemap(cfg) {
    const { chmod, mkdir } = await import("node:fs/promises");
    const m = resolveRemap(cfg.usernsRemap ?? "");
    setRemap(m);
    const base = cfg.root;
    cfg.root = join(base, `${m.uid}.${m.gid}`);
    await mkdir(cfg.root, { recursive: true, mode: 0o711 });
    await mkdir(cfg.execRoot, { recursive: true, mode: 0o711 });
    for (const dir of [base, cfg.root, cfg.execRoot])
        await chmod(dir, 0o711);
    for (const start of [dirname(base), dirname(cfg.execRoot)]) {
        for (let dir = start;; dir = dirname(dir)) {
            if (((await stat(dir)).mode & 0o001) === 0)
                throw new Error(`userns-remap: ${dir} must be searchable by others (chmod o+x) for remapped containers`);
            if (dir === "/")
                break;
        }
    }
}
main().catch((err) => {
    process.stderr.write(`berthd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
//# sourceMappingURL=main.js.map
/** berthd's command line (dockerd's flag names where dockerd has one); also feeds its man page. */
import { Command } from "commander";
import { BUILD } from "../util/buildinfo.js";
import { DEFAULT_GROUP } from "./group.js";

const collect = (v: string, prev: string[]) => [...prev, v];

/** The berthd command: parse with `.parse()`, read `.opts()`. */
export function daemonProgram(): Command {
  return new Command("berthd")
    .description("berth daemon: serves the Docker Engine API")
    .option("--config-file <path>", "daemon configuration file", "/etc/berth/daemon.json")
    .option("--root <dir>", "root of persistent state (default /var/lib/berth)")
    .option("--data-root <dir>", "alias of --root")
    .option("--exec-root <dir>", "root of runtime state (default /run/berth)")
    .option(
      "-H, --host <address>",
      "socket to listen on (unix:///path, fd:// for systemd socket activation, or tcp://host:port), repeatable",
      collect,
      [],
    )
    .option("-l, --log-level <level>", "debug, info, warn, error, fatal")
    .option("--log-format <format>", "text or json (default: text on a terminal, else json)")
    .option("--log-file <path>", "append logs to this file instead of stderr")
    .option("-G, --group <group>", `group for the unix socket (default "${DEFAULT_GROUP}"; "" for root's)`)
    .option("--default-runtime <name>", "OCI runtime: runc or crun")
    .option("--bridge <name>", "name of the default bridge interface")
    .option("--network-prefix <prefix>", "prefix of host network objects (tables, veths)")
    .option("--insecure-registry <host>", "registry reached over plain HTTP, repeatable", collect, [])
    .option("--registry-mirror <url>", "registry mirror, repeatable", collect, [])
    .option("--userns-remap <user>", "remap container root to this user's subordinate ids")
    .option(
      "--rootless",
      "run as an ordinary user inside rootlesskit's namespaces (the default when not run by root)",
    )
    .option("-s, --storage-driver <name>", "overlay2 or fuse-overlayfs")
    .option("--tls", "use TLS on TCP listeners")
    .option("--tlsverify", "require and verify client certificates")
    .option("--tlscacert <file>", "CA to verify clients")
    .option("--tlscert <file>", "server certificate")
    .option("--tlskey <file>", "server key")
    .version(`berthd version ${BUILD.version}${BUILD.gitCommit ? `, build ${BUILD.gitCommit}` : ""}`);
}

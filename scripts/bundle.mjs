#!/usr/bin/env node
// Builds what `make install` installs, into dist/install:
//   lib/berth.mjs, lib/berthd.mjs  one esbuild bundle each (fast start: one file to load)
//   lib/node_modules/koffi, lib/node_modules/@koromix/koffi-<os>-<arch>
//                                  koffi stays external: its native module is found next to it
//   man/berth.1, man/berthd.8      from the commander trees
//   completion/berth.bash, _berth, berth.fish
// The build facts (git commit, build time) are baked in with esbuild's define.
// Usage: node scripts/bundle.mjs <node binary for the shebang>
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const repo = resolve(import.meta.dirname, "..");
const out = join(repo, "dist/install");
const node = process.argv[2] || process.execPath;
const info = JSON.parse(execFileSync(join(repo, "scripts/buildinfo.sh"), { encoding: "utf8" }));

const CLI_EXTRA = `.SH ENVIRONMENT
.TP
.B BERTH_HOST, DOCKER_HOST
Daemon socket to connect to (default unix:///run/berth/berth.sock).
.TP
.B DOCKER_CONTEXT
Name of the docker context to use; see also \\fB\\-\\-context\\fR.
.TP
.B DOCKER_CONFIG
Location of the client configuration directory (default ~/.docker).
.SH FILES
.TP
.I ~/.docker/config.json
Credentials and the current context.
.SH SEE ALSO
.BR berthd (8),
.BR docker (1)
`;
const CLI_ABOUT = `berth is a client with docker's command-line syntax: it talks to berthd, the
berth daemon, over the Docker Engine API (v1.41) on a unix socket, or TCP with TLS.
Commands, flags, output formats (--format, json) and exit statuses follow docker's.

The daemon is found from -H, BERTH_HOST, DOCKER_HOST, then the current docker context
(--context, DOCKER_CONTEXT, currentContext in the config directory), then, for a user
other than root, a rootless berthd's $XDG_RUNTIME_DIR/berth.sock when it exists, else
unix:///run/berth/berth.sock. Shell completion: berth completion bash|zsh|fish.`;
const DAEMON_ABOUT = `berthd serves the Docker Engine API (v1.41) so that the docker CLI, docker-compose,
docker-py and dockerode work against it unchanged. Containers run with runc (or crun)
under conmon on overlayfs, with bridges and published ports made with iproute2 and
nftables; they keep running when berthd stops.

Under systemd, berthd.socket holds /run/berth/berth.sock (group berth, mode 0660) and
starts berthd.service (berthd -H fd://) on the first connection; berthd reports READY=1
once the API serves.

Run by an ordinary user (or with --rootless), berthd runs rootless: it re-executes itself
under rootlesskit (user, mount, network and pid namespaces; slirp4netns for outbound
traffic; published ports opened on the host by rootlesskit), containers get the user's
subordinate ids from /etc/subuid and /etc/subgid, and its files follow the XDG base
directories (see FILES). Containers stop when a rootless berthd stops.`;
const DAEMON_EXTRA = `.SH FILES
.TP
.I /etc/berth/daemon.json
Daemon configuration (dockerd's keys where dockerd has one, plus "group", "log-format", "log-file").
.TP
.I /var/lib/berth
Persistent state: images, layers, containers, volumes.
.TP
.I /run/berth/berth.sock
The Engine API socket (group berth, mode 0660).
.TP
.I ~/.config/berth/daemon.json, ~/.local/share/berth, $XDG_RUNTIME_DIR/berth, $XDG_RUNTIME_DIR/berth.sock
Rootless: configuration, persistent state, runtime state and socket ($XDG_CONFIG_HOME and
$XDG_DATA_HOME move the first two).
.SH SEE ALSO
.BR berth (1),
.BR systemd.socket (5)
`;
rmSync(out, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Native addons stay external: each finds its prebuilt binary next to it.
  external: ["koffi", "node-unix-socket"],
  define: { __BERTH_BUILD__: JSON.stringify(info) },
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
  banner: {
    js: `import { createRequire as __berthCreateRequire } from "node:module";\nconst require = __berthCreateRequire(import.meta.url);`,
  },
  logLevel: "warning",
  legalComments: "none",
};
await build({
  ...common,
  entryPoints: {
    berth: join(repo, "src/cli/main.ts"),
    berthd: join(repo, "src/daemon/main.ts"),
  },
  outdir: join(out, "lib"),
  outExtension: { ".js": ".mjs" },
});
// esbuild keeps the entry's "#!/usr/bin/env node": name the node this was installed for instead,
// so that services (systemd's PATH) and users run the same one.
for (const f of ["berth.mjs", "berthd.mjs"]) {
  const p = join(out, "lib", f);
  writeFileSync(p, `#!${node}\n${readFileSync(p, "utf8").replace(/^#!.*\n/, "")}`);
  chmodSync(p, 0o755);
}

// koffi and its prebuilt native module for this machine, without sources and docs.
const nm = join(repo, "node_modules");
const keep = (src) => !/\/(doc|vendor|lib)(\/|$)|\.(cc|hh|inc|h|c|S|asm|md|d\.ts)$|CMakeLists\.txt$|musl_/.test(src);
cpSync(join(nm, "koffi"), join(out, "lib/node_modules/koffi"), { recursive: true, filter: keep });
const nativePkg = `@koromix/koffi-${process.platform}-${process.arch}`;
cpSync(join(nm, nativePkg), join(out, "lib/node_modules", nativePkg), { recursive: true, filter: keep });
// node-unix-socket (conmon's SOCK_SEQPACKET attach socket) and its prebuilt binary.
cpSync(join(nm, "node-unix-socket"), join(out, "lib/node_modules/node-unix-socket"), { recursive: true });
for (const name of readdirSync(nm).filter((n) => n.startsWith(`node-unix-socket-${process.platform}-${process.arch}`)))
  cpSync(join(nm, name), join(out, "lib/node_modules", name), { recursive: true });

// Man pages and completion scripts, from the command trees (a throwaway bundle prints them).
const gen = join(out, "gen.mjs");
await build({
  ...common,
  stdin: {
    contents: `
      import { writeFileSync, mkdirSync } from "node:fs";
      import { buildProgram } from "./src/cli/program.ts";
      import { completionScript } from "./src/cli/completion.ts";
      import { manPage } from "./src/cli/man.ts";
      import { daemonProgram } from "./src/daemon/flags.ts";
      const [out, version, date] = process.argv.slice(2);
      mkdirSync(out + "/man", { recursive: true });
      mkdirSync(out + "/completion", { recursive: true });
      writeFileSync(out + "/man/berth.1", manPage(buildProgram(), "1", version, date, ${JSON.stringify(CLI_EXTRA)}, ${JSON.stringify(CLI_ABOUT)}));
      writeFileSync(out + "/man/berthd.8", manPage(daemonProgram(), "8", version, date, ${JSON.stringify(DAEMON_EXTRA)}, ${JSON.stringify(DAEMON_ABOUT)}));
      writeFileSync(out + "/completion/berth.bash", completionScript("bash"));
      writeFileSync(out + "/completion/_berth", completionScript("zsh"));
      writeFileSync(out + "/completion/berth.fish", completionScript("fish"));
    `,
    resolveDir: repo,
    loader: "ts",
  },
  outfile: gen,
});
// The generator imports koffi too (through the CLI): let it find the copied one.
cpSync(gen, join(out, "lib/gen.mjs"));
rmSync(gen);
execFileSync(process.execPath, [join(out, "lib/gen.mjs"), out, info.version, info.buildTime.slice(0, 10)], {
  stdio: "inherit",
});
rmSync(join(out, "lib/gen.mjs"));
writeFileSync(join(out, "buildinfo.json"), `${JSON.stringify(info)}\n`);
console.log(`bundled berth ${info.version} (${info.gitCommit || "no git"}) into ${out}`);

// make bench: the engines, each private to this run (own root, socket, bridge, nft table or
// none) and stopped at the end: berth (this tree's berthd), Docker (Debian's docker.io:
// dockerd with its own containerd, no iptables), BuildKit (that dockerd's BuildKit through
// Debian's 20.10 CLI, which has it built in: build rows only) and Podman (Debian's podman).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const DOCKER_CLI = existsSync("/usr/local/bin/docker") ? "/usr/local/bin/docker" : "docker";

/** Runs `argv` (env added), returns { code, out, err, ms }. Never throws. */
export function sh(argv, o = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    env: { ...process.env, ...(o.env ?? {}) },
    input: o.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: o.timeoutMs ?? 600_000,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { code: r.status ?? -1, out: r.stdout ?? "", err: (r.stderr ?? "") + (r.error?.message ?? ""), ms };
}

const has = (cmd) => sh(["sh", "-c", `command -v ${cmd}`]).code === 0;

async function waitFor(check, what, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${ms / 1000}s`);
}

/** KiB of resident memory of `pids` (RSS, or PSS from smaps_rollup with pss=true). */
export function memKiB(pids, pss = false) {
  let total = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(pss ? `/proc/${pid}/smaps_rollup` : `/proc/${pid}/status`, "utf8");
      const m = (pss ? /^Pss:\s+(\d+)/m : /^VmRSS:\s+(\d+)/m).exec(text);
      if (m) total += Number(m[1]);
    } catch {
      // gone
    }
  }
  return total;
}

/** Pids whose command line has `name` as argv[0]'s basename and contains `mark`. */
export function pidsOf(name, mark) {
  const out = [];
  for (const p of sh(["ps", "-eo", "pid=,args="]).out.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)(.*)$/.exec(p);
    if (m && m[2].split("/").pop() === name && (m[2] + m[3]).includes(mark)) out.push(Number(m[1]));
  }
  return out;
}

/** Starts every available engine under `work`; returns them (each with cli(), stop(), daemonPids()). */
export async function startEngines(work, want) {
  const engines = [];
  const stops = [];
  // berth, and with --baseline DIR a second berthd from another tree's dist (before/after in one run).
  const berths = want.has("berth") ? [["berth", "dist", "bbench"]] : [];
  if (want.baseline) berths.push(["berth-base", join(want.baseline, "dist"), "bbbase"]);
  for (const [name, dist, prefix] of berths) {
    const root = join(work, name);
    mkdirSync(join(root, "exec"), { recursive: true });
    const sock = join(root, "exec", "berth.sock");
    const d = spawn(
      process.execPath,
      [
        join(dist, "src/daemon/main.js"),
        ...["--root", join(root, "root"), "--exec-root", join(root, "exec"), "-H", `unix://${sock}`],
        ...["--bridge", `${prefix}0`, "--network-prefix", prefix],
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    const cli = (args) => [DOCKER_CLI, "-H", `unix://${sock}`, ...args];
    await waitFor(() => sh(cli(["version"])).code === 0, `berthd (${name})`);
    engines.push({ name, cli, monitor: ["conmon", `${root}/`], daemonPids: () => [d.pid] });
    stops.push(async () => {
      sh(["sh", "-c", `${cli(["rm", "-f"]).join(" ")} $(${cli(["ps", "-aq"]).join(" ")}) >/dev/null 2>&1`]);
      d.kill("SIGTERM");
      await new Promise((r) => d.once("exit", r));
      sh(["nft", "delete", "table", "ip", prefix]);
      sh(["ip", "link", "del", `${prefix}0`]);
    });
  }
  if ((want.has("docker") || want.has("buildkit")) && has("dockerd")) {
    const root = join(work, "docker");
    mkdirSync(root, { recursive: true });
    const sock = join(root, "docker.sock");
    sh(["ip", "link", "add", "bbdock0", "type", "bridge"]);
    sh(["ip", "addr", "add", "10.213.77.1/24", "dev", "bbdock0"]);
    sh(["ip", "link", "set", "bbdock0", "up"]);
    const d = spawn(
      "dockerd",
      [
        ...["--data-root", join(root, "root"), "--exec-root", join(root, "exec"), "-H", `unix://${sock}`],
        ...["--pidfile", join(root, "dockerd.pid"), "--bridge", "bbdock0", "--iptables=false"],
        ...["--ip6tables=false", "--containerd-namespace", "bench", "--containerd-plugins-namespace"],
        ...["bench-plugins", "--insecure-registry", "127.0.0.0/8"],
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    const cli = (args) => [DOCKER_CLI, "-H", `unix://${sock}`, ...args];
    await waitFor(() => sh(cli(["version"])).code === 0, "dockerd");
    const daemonPids = () => [d.pid, ...pidsOf("containerd", root)];
    if (want.has("docker"))
      engines.push({ name: "docker", cli, monitor: ["containerd-shim-runc-v2", "bench"], daemonPids });
    if (want.has("buildkit") && existsSync("/usr/bin/docker"))
      engines.push({
        name: "buildkit",
        buildOnly: true,
        cli: (args) => ["/usr/bin/docker", "-H", `unix://${sock}`, ...args],
        env: { DOCKER_BUILDKIT: "1" },
        daemonPids,
      });
    stops.push(async () => {
      sh(["sh", "-c", `${cli(["rm", "-f"]).join(" ")} $(${cli(["ps", "-aq"]).join(" ")}) >/dev/null 2>&1`]);
      d.kill("SIGTERM");
      await new Promise((r) => d.once("exit", r));
      sh(["ip", "link", "del", "bbdock0"]);
    });
  }
  if (want.has("podman") && has("podman")) {
    const root = join(work, "podman");
    mkdirSync(join(root, "cni"), { recursive: true });
    // Our local registry is plain HTTP; nofile=1048576 (podman's default) is refused here
    // (no CAP_SYS_RESOURCE); its default network gets a private bridge, no iptables chains.
    const env = {
      CONTAINERS_REGISTRIES_CONF: join(root, "registries.conf"),
      CONTAINERS_CONF: join(root, "containers.conf"),
    };
    writeFileSync(env.CONTAINERS_REGISTRIES_CONF, "unqualified-search-registries = []\n");
    writeFileSync(
      env.CONTAINERS_CONF,
      '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n',
    );
    writeFileSync(
      join(root, "cni", "podman.conflist"),
      JSON.stringify({
        cniVersion: "0.4.0",
        name: "podman",
        plugins: [
          {
            type: "bridge",
            bridge: "bbpod0",
            isGateway: true,
            ipMasq: false,
            ipam: {
              type: "host-local",
              dataDir: join(root, "cni-ipam"),
              ranges: [[{ subnet: "10.213.78.0/24", gateway: "10.213.78.1" }]],
            },
          },
        ],
      }),
    );
    const base = ["podman", "--root", join(root, "root"), "--runroot", join(root, "run"), "--runtime", "runc"];
    base.push("--cgroup-manager", "cgroupfs", "--events-backend", "file");
    base.push("--network-config-dir", join(root, "cni"));
    const cli = (args) => [...base, ...args];
    engines.push({ name: "podman", cli, env, monitor: ["conmon", join(root, "run")], daemonPids: () => [] });
    stops.push(async () => {
      sh(cli(["rm", "-af"]), { env });
      sh(cli(["system", "reset", "-f"]), { env });
      sh(["ip", "link", "del", "bbpod0"]);
    });
  }
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  return { engines, stop };
}

/** Adds a registry to podman's registries.conf (plain HTTP). */
export function allowInsecure(engine, reg) {
  if (engine.name !== "podman") return;
  const f = engine.env.CONTAINERS_REGISTRIES_CONF;
  writeFileSync(f, `${readFileSync(f, "utf8")}[[registry]]\nlocation = "${reg}"\ninsecure = true\n`);
}

/** Unmounts whatever the engines left mounted under `work` (deepest first). */
export function unmountUnder(work) {
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1])
    .filter((m) => m?.startsWith(work))
    .sort()
    .reverse();
  for (const m of mounts) sh(["umount", "-l", m]);
}

export { execFileSync };

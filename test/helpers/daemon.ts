/**
 * Test helper: a private berthd (own root, exec-root, socket, bridge and
 * network prefix) driven with the real docker CLI.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const DOCKER = existsSync("/usr/local/bin/docker") ? "/usr/local/bin/docker" : "docker";
const DAEMON = resolve(import.meta.dirname, "../../src/daemon/main.js");

export interface TestDaemon {
  dir: string;
  root: string;
  execRoot: string;
  socket: string;
  host: string;
  proc: ChildProcess;
  /** Runs the docker CLI against this daemon. */
  docker(
    args: string[],
    opts?: { input?: string | Buffer; timeout?: number },
  ): { code: number; out: string; err: string };
  /** Like docker() but throws on a non-zero exit; returns trimmed stdout. */
  ok(args: string[], opts?: { input?: string | Buffer }): string;
  start(): Promise<void>;
  /** SIGKILL the daemon (containers must survive). */
  kill(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export async function startDaemon(
  opts: { extraArgs?: string[]; dirMode?: number; root?: string } = {},
): Promise<TestDaemon> {
  const dir = mkdtempSync("/tmp/berth-test-");
  if (opts.dirMode) chmodSync(dir, opts.dirMode);
  const root = opts.root ?? join(dir, "root");
  const execRoot = join(dir, "exec");
  const socket = join(execRoot, "berth.sock");
  const tag = dir
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x");
  const d: TestDaemon = {
    dir,
    root,
    execRoot,
    socket,
    host: `unix://${socket}`,
    proc: undefined as unknown as ChildProcess,
    docker(args, o = {}) {
      const r = spawnSync(DOCKER, args, {
        env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: "0" },
        input: o.input,
        timeout: o.timeout ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
      });
      return { code: r.status ?? -1, out: r.stdout?.toString() ?? "", err: r.stderr?.toString() ?? "" };
    },
    ok(args, o) {
      const r = d.docker(args, o);
      if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.code}): ${r.err}${r.out}`);
      return r.out.trim();
    },
    async start() {
      const log = join(dir, "berthd.log");
      const { openSync } = await import("node:fs");
      const fd = openSync(log, "a");
      d.proc = spawn(
        process.execPath,
        [
          DAEMON,
          "--root",
          root,
          "--exec-root",
          execRoot,
          "-H",
          d.host,
          "--bridge",
          `bt${tag}0`,
          "--network-prefix",
          `bt${tag}`,
          "--log-level",
          "debug",
          ...(opts.extraArgs ?? []),
        ],
        { stdio: ["ignore", fd, fd] },
      );
      for (let i = 0; i < 200; i++) {
        if (d.docker(["version", "--format", "{{.Server.Version}}"], { timeout: 5000 }).code === 0) return;
        if (d.proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`berthd did not start: ${d.log()}`);
    },
    async kill() {
      d.proc.kill("SIGKILL");
      await new Promise((r) =>
        d.proc.exitCode !== null || d.proc.signalCode ? r(null) : d.proc.once("exit", r),
      );
    },
    async stop() {
      if (d.proc.exitCode === null && d.proc.signalCode === null) {
        d.proc.kill("SIGTERM");
        await new Promise((r) => d.proc.once("exit", r));
      }
    },
    log() {
      return existsSync(join(dir, "berthd.log")) ? readFileSync(join(dir, "berthd.log"), "utf8") : "";
    },
  };
  await d.start();
  return d;
}

/** Stops the daemon, removes what tests left and the state directory. */
export async function cleanupDaemon(d: TestDaemon | undefined): Promise<void> {
  if (!d) return;
  for (const id of d.docker(["ps", "-aq"]).out.split(/\s+/).filter(Boolean)) d.docker(["rm", "-f", "-v", id]);
  await d.stop();
  const bugs = d.log().match(/.*BUG: unhandled rejection.*/g);
  spawnSync("sh", [
    "-c",
    `grep ' ${d.dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l`,
  ]);
  rmSync(d.dir, { recursive: true, force: true });
  removeCgroups(d.root);
  // berthd survives an unhandled rejection, but it is a bug: the test fails.
  if (bugs) throw new Error(`berthd logged unhandled rejections:\n${bugs.join("\n")}`);
}

/** A busybox rootfs tar (like the acceptance fixture), built from /bin/busybox. */
export function busyboxTar(dir: string): string {
  const r = join(dir, "rootfs");
  const script = `set -e
mkdir -p ${r}/bin ${r}/etc ${r}/tmp ${r}/root ${r}/proc ${r}/sys ${r}/dev ${r}/home/app
chmod 1777 ${r}/tmp; chmod 700 ${r}/root; chown 1000:1000 ${r}/home/app
cp /bin/busybox ${r}/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox ${r}/bin/$a; done
printf 'root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000:app:/home/app:/bin/sh\\n' > ${r}/etc/passwd
printf 'root:x:0:\\napp:x:1000:\\n' > ${r}/etc/group
tar --numeric-owner -C ${r} -cf ${dir}/busybox.tar .`;
  const res = spawnSync("sh", ["-c", script]);
  if (res.status !== 0) throw new Error(`busybox rootfs: ${res.stderr}`);
  return join(dir, "busybox.tar");
}

/**
 * The daemon's cgroup parent (/berth-<sha256(root)[:8]> in each hierarchy) and any container
 * cgroup left in it once the daemon is gone: berthd removes an empty parent at shutdown, but a
 * test that killed it, or a container it never saw exit, would leave them behind.
 */
function removeCgroups(root: string): void {
  const name = `berth-${createHash("sha256").update(root).digest("hex").slice(0, 8)}`;
  for (const h of readdirSync("/sys/fs/cgroup").map((c) => join("/sys/fs/cgroup", c, name))) {
    // rmdir, deepest first: a cgroup directory goes with rmdir, never with its files.
    if (existsSync(h))
      spawnSync("sh", ["-c", `find ${h} -mindepth 1 -depth -type d -exec rmdir {} + ; rmdir ${h}`]);
  }
}

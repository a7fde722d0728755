/**
 * Test helper: Debian's docker-registry (distribution 2.8) on a free loopback port, with its
 * own storage under `dir`.
 */
import { type ChildProcess, execSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { TestDaemon } from "./daemon.js";
import { eventually } from "./wait.js";

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface TestRegistry {
  /** host:port */
  addr: string;
  proc: ChildProcess;
  stop(): void;
}

/** Starts a registry storing under `dir`/registry; resolves once /v2/ answers. */
export async function startRegistry(dir: string): Promise<TestRegistry> {
  const root = join(dir, "registry");
  mkdirSync(root, { recursive: true });
  const addr = `127.0.0.1:${await freePort()}`;
  const cfg = join(dir, "registry.yml");
  writeFileSync(
    cfg,
    `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${root} }, delete: { enabled: true } }\nhttp: { addr: ${addr} }\n`,
  );
  const proc = spawn("docker-registry", ["serve", cfg], { stdio: "ignore" });
  await eventually(
    `the registry at ${addr}`,
    () => spawnSync("curl", ["-fsS", `http://${addr}/v2/`]).status === 0,
  );
  return { addr, proc, stop: () => proc.kill() };
}

/**
 * Builds `tag` from image `bb` plus one incompressible 8 MiB layer (random bytes at
 * `dest`), big enough to interrupt a transfer; the context is `dir`, its file `dir/blob`.
 */
export function buildRandomLayerImage(d: TestDaemon, dir: string, tag: string, dest = "/blob"): void {
  mkdirSync(dir);
  execSync(`head -c 8388608 /dev/urandom > ${dir}/blob`);
  writeFileSync(join(dir, "Dockerfile"), `FROM bb\nCOPY blob ${dest}\n`);
  d.ok(["build", "-q", "-t", tag, dir]);
}

/**
 * berthd SIGKILLed in the middle of a pull, a load, a commit, a build
 * (mid-RUN) and an `rm -f` of 20 containers: after a restart and
 * `system prune -a` the root holds no temp or ingest data, nothing is
 * paused, every container is whole or gone, and exit codes are right.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { freePort } from "../helpers/registry.js";
import { eventually } from "../helpers/wait.js";

/** A proxy to the registry that sends blob bodies at about 1 MiB/s. */
function slowProxy(target: number): Server {
  return createServer((req, res) => {
    const up = request(
      { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
      async (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const slow = req.url?.includes("/blobs/");
        for await (const chunk of upRes as AsyncIterable<Buffer>) {
          for (let off = 0; off < chunk.length; off += 65536) {
            if (res.destroyed) return;
            res.write(chunk.subarray(off, off + 65536));
            if (slow) await new Promise((r) => setTimeout(r, 60));
          }
        }
        res.end();
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
}

async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Files (recursively) under `dir`. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // removed while we looked
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p, ...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe("SIGKILL in the middle of operations", () => {
  let d: TestDaemon;
  let work: string;
  let registry: ChildProcess;
  let proxy: Server;
  let reg: string;
  const bg: ChildProcess[] = [];

  /** Starts a docker command without waiting for it. */
  function start(args: string[], input?: string, openStdin = false): ChildProcess {
    const p = spawn(DOCKER, args, {
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: "0" },
      stdio: [input === undefined && !openStdin ? "ignore" : "pipe", "ignore", "ignore"],
    });
    if (input !== undefined) p.stdin?.end(input);
    bg.push(p);
    return p;
  }

  async function crash(): Promise<void> {
    await d.kill();
    await d.start();
  }

  before(async () => {
    work = mkdtempSync("/tmp/berth-crash-");
    const port = await freePort();
    mkdirSync(join(work, "registry"));
    writeFileSync(
      join(work, "reg.yml"),
      `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${work}/registry } }\nhttp: { addr: 127.0.0.1:${port} }\n`,
    );
    registry = spawn("docker-registry", ["serve", join(work, "reg.yml")], { stdio: "ignore" });
    proxy = slowProxy(port);
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, "127.0.0.1", r));
    reg = `127.0.0.1:${proxyPort}`;
    for (let i = 0; i < 100 && spawnSync("curl", ["-fsS", `http://127.0.0.1:${port}/v2/`]).status !== 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    d = await startDaemon();
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // An image with an incompressible 12 MiB layer, in the registry and as an archive.
    const ctx = join(work, "ctx");
    mkdirSync(ctx);
    execSync(`head -c 12582912 /dev/urandom > ${ctx}/blob`);
    writeFileSync(join(ctx, "Dockerfile"), "FROM bb\nCOPY blob /blob\n");
    d.ok(["build", "-t", `127.0.0.1:${port}/big:1`, ctx]);
    d.ok(["push", `127.0.0.1:${port}/big:1`]);
    d.ok(["save", "-o", join(work, "big.tar"), `127.0.0.1:${port}/big:1`]);
    d.ok(["rmi", `127.0.0.1:${port}/big:1`]);
  });
  after(async () => {
    for (const p of bg) p.kill("SIGKILL");
    await cleanupDaemon(d);
    registry?.kill();
    proxy?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const ingest = () => join(d.root, "content", "ingest");
  const tmp = () => join(d.root, "tmp");
  /** Some file under `dir` has data (files may be renamed away while we look). */
  const nonEmpty = (dir: string) =>
    filesUnder(dir).some((f) => {
      try {
        const st = statSync(f);
        return st.isFile() && st.size > 0;
      } catch {
        return false;
      }
    });

  it("a pull", async () => {
    start(["pull", `${reg}/big:1`]);
    await until("pull data in ingest/", () => nonEmpty(ingest()));
    await crash();
  });

  it("a load", async () => {
    // The archive arrives on stdin and stalls half-way: berthd is killed while it holds part of it.
    const load = start(["load"], undefined, true);
    load.stdin?.on("error", () => {});
    const buf = readFileSync(join(work, "big.tar"));
    load.stdin?.write(buf.subarray(0, buf.length >> 1));
    await until("load data in tmp/", () => nonEmpty(tmp()) || nonEmpty(ingest()));
    await crash();
  });

  it("a commit (the container is unpaused at restart)", async () => {
    d.ok([
      "run",
      "-d",
      "--name",
      "busy",
      "bb",
      "sh",
      "-c",
      "head -c 50000000 /dev/urandom > /fill; sleep 1000",
    ]);
    await until("the container's file", () => d.docker(["exec", "busy", "test", "-s", "/fill"]).code === 0);
    await new Promise((r) => setTimeout(r, 1500));
    start(["commit", "busy", "snap"]);
    await until(
      "the commit to pause",
      () => d.docker(["inspect", "-f", "{{.State.Paused}}", "busy"]).out.trim() === "true",
    );
    await crash();
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}}", "busy"]), "running");
    d.ok(["rm", "-f", "busy"]);
  });

  it("a build mid-RUN (its container is removed at restart)", async () => {
    start(["build", "-t", "never", "-"], "FROM bb\nRUN echo started; sleep 1000\n");
    await until("the RUN container", () => d.ok(["ps", "-q"]) !== "");
    await crash();
    assert.equal(d.ok(["ps", "-aq"]), "", "the RUN container is gone");
  });

  it("an rm -f of 20 containers (whole or gone, exit codes right)", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(d.ok(["run", "-d", "bb", "sleep", "1000"]));
    start(["rm", "-f", ...ids]);
    await until("some removals", () => d.ok(["ps", "-aq"]).split("\n").filter(Boolean).length < 17);
    await crash();
    const left = d.ok(["ps", "-aq", "--no-trunc"]).split("\n").filter(Boolean);
    assert.ok(left.length < 20);
    for (const id of left) {
      const st = d.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id]);
      assert.ok(st === "running 0" || st === "exited 137", `${id}: ${st}`);
      assert.ok(existsSync(join(d.root, "containers", id, "config.v2.json")));
      // Whole: an exited one starts again (its snapshot and config are intact).
      if (st.startsWith("exited")) d.ok(["start", id]);
    }
    if (left.length) d.ok(["rm", "-f", ...left]);
  });

  it("records 137 for containers SIGKILLed while berthd was down", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(d.ok(["run", "-d", "bb", "sleep", "1000"]));
    const pids = ids.map((id) => Number(d.ok(["inspect", "-f", "{{.State.Pid}}", id])));
    await d.kill();
    for (const pid of pids) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
    await d.start();
    // conmon records each exit as it reaps it: a loaded machine may take a moment.
    for (const id of ids)
      await eventually(
        `${id} exited 137`,
        () => d.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id]) === "exited 137",
        20_000,
      );
    d.ok(["rm", ...ids]);
  });

  it("leaves nothing after system prune -a", () => {
    assert.equal(d.ok(["ps", "-aq", "--filter", "status=paused"]), "");
    // Leftovers older than this daemon (as if a restart had missed them): prune reports and frees them.
    mkdirSync(join(tmp(), "load-old"), { recursive: true });
    execSync(`head -c 3145728 /dev/zero > ${join(tmp(), "load-old", "layer.tar")}`);
    execSync(`head -c 2097152 /dev/zero > ${join(ingest(), "tmp-old")}`);
    execSync(`touch -d '1 hour ago' ${join(tmp(), "load-old")} ${join(ingest(), "tmp-old")}`);
    const out = d.ok(["system", "prune", "-a", "-f"]);
    const reclaimed = /Total reclaimed space: ([\d.]+)MB/.exec(out);
    assert.ok(reclaimed && Number(reclaimed[1]) >= 5, out);
    assert.deepEqual(filesUnder(tmp()), [], "tmp/");
    assert.deepEqual(filesUnder(ingest()), [], "content/ingest/");
    assert.deepEqual(
      readdirSync(join(d.root, "overlay")).filter((n) => n.startsWith("tmp-")),
      [],
      "overlay/tmp-*",
    );
    const cg = `berth-${createHash("sha256").update(d.root).digest("hex").slice(0, 8)}`;
    const frozen = execSync(
      `cat /sys/fs/cgroup/freezer/${cg}/*/freezer.state 2>/dev/null || true`,
    ).toString();
    assert.doesNotMatch(frozen, /FROZEN/);
  });
});

/**
 * RUN's surroundings with the real docker CLI (classic builder): the
 * default bridge (a listener this test starts on the bridge's gateway),
 * --network with a user network (a peer by name), none and host, RUN
 * --network, --add-host, resource options reaching the RUN container's
 * cgroup, --rm/--force-rm, and the /build parameters berth refuses.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistryServer } from "../../src/registry/server/index.js";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { dockerAsync } from "../helpers/docker-async.js";

describe("docker build: RUN's network and options", () => {
  let d: TestDaemon;
  let work: string;
  let server: Server | undefined;
  const nets: string[] = [];

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-build-run-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    server?.close();
    for (const n of nets) d.docker(["network", "rm", n]);
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  const build = (df: string, ...args: string[]) => dockerAsync(d, ["build", ...args, "-"], df);
  const cat = (img: string, ...files: string[]) => d.ok(["run", "--rm", img, "cat", ...files]);

  it("RUN reaches a listener on the default bridge's gateway", async () => {
    const gw = d.ok(["network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"]);
    assert.match(gw, /^\d+\.\d+\.\d+\.\d+$/);
    const token = `hello-${process.pid}-${Date.now()}`;
    server = createServer((_req, res) => res.end(token));
    // The bridge (and its gateway address) may only appear with the first container: listen on all.
    await new Promise<void>((r) => server!.listen(0, "0.0.0.0", r));
    const port = (server.address() as AddressInfo).port;
    const r = await build(
      `FROM bb\nRUN wget -q -O /got http://${gw}:${port}/ && ip -4 addr | grep -c inet > /inets\n`,
      "-t",
      "net-default",
    );
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(cat("net-default", "/got"), token);
    // Loopback and the bridge's address: two.
    assert.equal(cat("net-default", "/inets"), "2");
  });

  it("--network none, host and RUN --network", async () => {
    const none = await build(
      "FROM bb\nRUN ip -4 addr | grep -c inet > /inets\n",
      "--network",
      "none",
      "-t",
      "net-none",
    );
    assert.equal(none.code, 0, none.err + none.out);
    assert.equal(cat("net-none", "/inets"), "1");
    const bridge = d.ok([
      "network",
      "inspect",
      "bridge",
      "-f",
      '{{index .Options "com.docker.network.bridge.name"}}',
    ]);
    const host = await build("FROM bb\nRUN ip link > /links\n", "--network", "host", "-t", "net-host");
    assert.equal(host.code, 0, host.err + host.out);
    if (bridge) assert.match(cat("net-host", "/links"), new RegExp(bridge));
    // RUN --network=none inside a bridged build.
    const step = await build(
      "FROM bb\nRUN --network=none ip -4 addr | grep -c inet > /a\nRUN ip -4 addr | grep -c inet > /b\n",
      "-t",
      "net-step",
    );
    assert.equal(step.code, 0, step.err + step.out);
    assert.equal(cat("net-step", "/a", "/b"), "1\n2");
    const bad = await build("FROM bb\nRUN --network=mynet true\n");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /RUN --network=mynet: must be default, none or host/);
  });

  it("--network with a user network reaches a peer by name", async () => {
    const net = `bnet${process.pid}`;
    d.ok(["network", "create", net]);
    nets.push(net);
    d.ok([
      "run",
      "-d",
      "--name",
      "peer",
      "--network",
      net,
      "bb",
      "sh",
      "-c",
      "mkdir /www && echo from-peer > /www/x && httpd -f -p 8080 -h /www",
    ]);
    let r = { code: -1, out: "", err: "" };
    for (let i = 0; i < 20 && r.code !== 0; i++) {
      r = await build(
        "FROM bb\nRUN wget -q -O /got http://peer:8080/x\n",
        "--network",
        net,
        "-t",
        "net-user",
      );
      if (r.code !== 0) await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(cat("net-user", "/got"), "from-peer");
    const missing = await build("FROM bb\nRUN true\n", "--network", "no-such-net");
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /no-such-net/);
    d.ok(["rm", "-f", "peer"]);
  });

  it("--add-host reaches the RUN container's /etc/hosts", async () => {
    const r = await build(
      "FROM bb\nRUN grep -E 'myhost|other' /etc/hosts > /hosts\n",
      "--add-host",
      "myhost:10.1.2.3",
      "--add-host",
      "other:10.4.5.6",
      "-t",
      "hosts",
    );
    assert.equal(r.code, 0, r.err + r.out);
    const hosts = cat("hosts", "/hosts");
    assert.match(hosts, /10\.1\.2\.3\s+myhost/);
    assert.match(hosts, /10\.4\.5\.6\s+other/);
  });

  it("--memory, --cpu-shares, --cpu-quota and --shm-size reach the RUN container", async () => {
    const df = [
      "FROM bb",
      "RUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /mem 2>/dev/null || cat /sys/fs/cgroup/memory.max > /mem",
      "RUN cat /sys/fs/cgroup/cpu/cpu.shares > /shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight > /shares",
      "RUN cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us > /quota 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max > /quota",
      "RUN df -k /dev/shm | tail -1 | awk '{print $2}' > /shm",
      "",
    ].join("\n");
    const r = await build(
      df,
      "--memory",
      "96m",
      "--cpu-shares",
      "512",
      "--cpu-quota",
      "50000",
      "--shm-size",
      "16m",
      "-t",
      "res",
    );
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(cat("res", "/mem"), String(96 * 1024 * 1024));
    assert.match(cat("res", "/shares"), /^(512|20)$/);
    assert.equal(cat("res", "/quota"), "50000");
    assert.equal(cat("res", "/shm"), String(16 * 1024));
  });

  it("--cpuset-cpus, --cpu-period, --memory-swap, and --ulimit reach the RUN container", async () => {
    const df = [
      "FROM bb",
      "RUN cat /sys/fs/cgroup/cpuset/cpuset.cpus > /cpus 2>/dev/null || cat /sys/fs/cgroup/cpuset.cpus > /cpus",
      "RUN cat /sys/fs/cgroup/cpu/cpu.cfs_period_us > /period 2>/dev/null || cut -d' ' -f2 /sys/fs/cgroup/cpu.max > /period",
      "RUN cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes > /swap 2>/dev/null || echo unsupported > /swap",
      "RUN ulimit -n > /nofile && ulimit -Hn >> /nofile",
      "",
    ].join("\n");
    const r = await build(
      df,
      "--cpuset-cpus",
      "0",
      "--cpu-period",
      "200000",
      "--memory",
      "64m",
      "--memory-swap",
      "128m",
      "--ulimit",
      "nofile=1000:2000",
      "-t",
      "res2",
    );
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(cat("res2", "/cpus"), "0");
    assert.equal(cat("res2", "/period"), "200000");
    const swap = cat("res2", "/swap");
    if (swap !== "unsupported") assert.equal(swap, String(128 * 1024 * 1024));
    assert.equal(cat("res2", "/nofile"), "1000\n2000");
    const bad = await build("FROM bb\nRUN true\n", "--memory", "64m", "--memory-swap", "32m");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /[Mm]emory/);
  });

  it("keeps a failed step's container unless --force-rm; --rm=false keeps them all", async () => {
    const before = d.ok(["ps", "-aq"]).split("\n").filter(Boolean).length;
    const failed = await build("FROM bb\nRUN exit 3\n");
    assert.notEqual(failed.code, 0);
    assert.match(failed.err, /returned a non-zero code: 3/);
    assert.equal(d.ok(["ps", "-aq"]).split("\n").filter(Boolean).length, before + 1);
    const forced = await build("FROM bb\nRUN exit 4\n", "--force-rm");
    assert.notEqual(forced.code, 0);
    assert.equal(d.ok(["ps", "-aq"]).split("\n").filter(Boolean).length, before + 1);
    const kept = await build("FROM bb\nRUN echo kept > /k\n", "--rm=false", "--no-cache");
    assert.equal(kept.code, 0, kept.err);
    assert.equal(d.ok(["ps", "-aq"]).split("\n").filter(Boolean).length, before + 2);
    assert.doesNotMatch(kept.out, /Removing intermediate container/);
  });

  it("pulls a missing FROM image from its registry, and again with --pull", async () => {
    const srv = await startRegistryServer({ addr: "127.0.0.1:0", root: join(work, "registry") });
    try {
      const ref = `${srv.url.replace(/^https?:\/\//, "")}/base/bb:1`;
      d.ok(["tag", "bb", ref]);
      assert.equal((await dockerAsync(d, ["push", ref])).code, 0);
      d.ok(["rmi", ref]);
      const r = await build(`FROM ${ref}\nRUN echo pulled > /p\n`, "-t", "pulled");
      assert.equal(r.code, 0, r.err + r.out);
      assert.match(r.out, /Pulling from base\/bb/);
      assert.equal(cat("pulled", "/p"), "pulled");
      assert.equal(d.docker(["image", "inspect", ref]).code, 0);
      const again = await build(`FROM ${ref}\nRUN echo pulled > /p\n`, "--pull", "-t", "pulled");
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /Image is up to date/);
      assert.match(again.out, /Using cache/);
      const missing = await build(`FROM ${ref.replace("base/bb", "base/none")}\n`);
      assert.notEqual(missing.code, 0);
    } finally {
      await srv.close();
    }
  });

  it("docker commit goes through the same commit path: a layer, history with author and comment", () => {
    d.ok(["run", "--name", "tocommit", "bb", "sh", "-c", "echo committed > /c"]);
    const id = d.ok([
      "commit",
      "-a",
      "Ann",
      "-m",
      "my change",
      "--change",
      "ENV K=v",
      "tocommit",
      "committed:1",
    ]);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(d.ok(["run", "--rm", "committed:1", "sh", "-c", "cat /c; echo $K"]), "committed\nv");
    const hist = d.ok([
      "history",
      "--no-trunc",
      "--format",
      "{{.CreatedBy}}|{{.Comment}}|{{.Size}}",
      "committed:1",
    ]);
    assert.match(hist.split("\n")[0]!, /^sh -c echo committed > \/c\|my change\|\d+B$/);
    assert.equal(
      d.ok(["image", "inspect", "-f", "{{.Author}} {{len .RootFS.Layers}}", "committed:1"]),
      "Ann 2",
    );
    // Nothing changed: as Docker, still a layer, an empty one.
    d.ok(["run", "--name", "unchanged", "committed:1", "true"]);
    d.ok(["commit", "unchanged", "committed:2"]);
    assert.equal(d.ok(["image", "inspect", "-f", "{{len .RootFS.Layers}}", "committed:2"]), "3");
    assert.equal(d.ok(["history", "--format", "{{.Size}}", "committed:2"]).split("\n")[0], "0B");
    d.ok(["rm", "tocommit", "unchanged"]);
  });

  it("--cache-from: an image's history serves as cache after the local cache is gone", async () => {
    const dir = join(work, "cachefrom");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "f"), "one\n");
    writeFileSync(
      join(dir, "Dockerfile"),
      'FROM bb\nENV X=1\nRUN echo a > /a\nCOPY f /f\nCMD ["cat", "/f"]\n',
    );
    const first = await dockerAsync(d, ["build", "-t", "cf-src", dir]);
    assert.equal(first.code, 0, first.err);
    const srcId = d.ok(["image", "inspect", "-f", "{{.Id}}", "cf-src"]);
    d.ok(["builder", "prune", "-f"]);
    const from = await dockerAsync(d, ["build", "--cache-from", "cf-src", "-t", "cf-1", dir]);
    assert.equal(from.code, 0, from.err);
    assert.equal(from.out.match(/Using cache/g)?.length, 4, from.out);
    assert.equal(d.ok(["image", "inspect", "-f", "{{.Id}}", "cf-1"]), srcId);
    assert.equal(d.ok(["run", "--rm", "cf-1"]), "one");
    // A changed source: the COPY and what follows are built again.
    d.ok(["builder", "prune", "-f"]);
    writeFileSync(join(dir, "f"), "two\n");
    const changed = await dockerAsync(d, ["build", "--cache-from", "cf-src", "-t", "cf-2", dir]);
    assert.equal(changed.code, 0, changed.err);
    assert.equal(changed.out.match(/Using cache/g)?.length, 2, changed.out);
    assert.equal(d.ok(["run", "--rm", "cf-2"]), "two");
    const none = await dockerAsync(d, ["build", "--cache-from", "no-such-image", "-q", dir]);
    assert.equal(none.code, 0, none.err);
  });

  it("refuses what berth cannot do with a clear message, and keeps serving", async () => {
    const dir = join(work, "ctx");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), "FROM bb\n");
    const cases: [string[], RegExp][] = [
      [["--platform", "linux/s390x"], /platform linux\/s390x is not supported/],
      [["--security-opt", "seccomp=unconfined"], /does not support setting security options on build/],
      [["--isolation", "hyperv"], /Unsupported isolation: "hyperv"/],
      [["--cgroup-parent", "/x"], /--cgroup-parent is not supported/],
    ];
    for (const [args, re] of cases) {
      const r = await dockerAsync(d, ["build", ...args, dir]);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.err, re, args.join(" "));
    }
    const ok = await dockerAsync(d, ["build", "--platform", "linux", "-q", dir]);
    assert.equal(ok.code, 0, ok.err);
  });
});

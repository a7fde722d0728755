/**
 * Rootless mode, end to end: a throwaway user with subordinate ranges starts
 * berthd (no flags: rootless is detected, paths follow XDG), and the real
 * docker CLI run as that user imports an image, pushes it to a registry on
 * the host and pulls it back (through slirp4netns), builds with a RUN step,
 * publishes a port fetched with curl on the host's 127.0.0.1, uses a named
 * volume, a bind mount and a user network with DNS, pushes what it built;
 * the refusals (low port, limits without cgroups) name their reason; then
 * everything stops and the user and all it left are removed.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, DOCKER } from "../helpers/daemon.js";
import {
  descendants,
  exitOf,
  freePort,
  hostAddress,
  pidsOfUids,
  run,
  subRange,
  uidOf,
  waitFor,
} from "../helpers/rootless.js";

const REPO = resolve(import.meta.dirname, "../../..");
/** berthd as the user runs it: this build, or (checkout unreadable to others) a bundled copy. */
let DAEMON = resolve(import.meta.dirname, "../../src/daemon/main.js");

/** Why this host cannot run the test at all (a kernel facility), or undefined. */
function missingFacility(): string | undefined {
  if (Number(readFileSync("/proc/sys/user/max_user_namespaces", "utf8")) === 0)
    return "user namespaces are disabled (user.max_user_namespaces=0)";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun (the tun driver slirp4netns needs)";
  if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) return "no overlayfs in the kernel";
  return undefined;
}

const skip = missingFacility();

describe("rootless berthd", { timeout: 900_000, skip }, () => {
  const user = `brl${String(process.pid % 100000)}`;
  const top = mkdtempSync("/tmp/berth-rootless-");
  const home = join(top, "home");
  const runtimeDir = join(top, "run");
  const bindDir = join(top, "bind");
  let uid = 0;
  let gid = 0;
  let sub = { start: 0, size: 0 };
  let daemon: ChildProcess | undefined;
  let registry: ChildProcess | undefined;
  let reg = "";
  let webPort = 0;
  const daemonLog = join(top, "berthd.log");
  const dummy = `brl${String(process.pid % 100000)}`;

  /** The docker CLI, run as the throwaway user against its rootless daemon. */
  function docker(args: string[], opts: { timeout?: number } = {}) {
    const r = spawnSync(DOCKER, args, {
      uid,
      gid,
      cwd: home,
      encoding: "utf8",
      timeout: opts.timeout ?? 180_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        USER: user,
        LOGNAME: user,
        XDG_RUNTIME_DIR: runtimeDir,
        DOCKER_HOST: `unix://${runtimeDir}/berth.sock`,
        DOCKER_BUILDKIT: "0",
      },
    });
    return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
  }
  function ok(args: string[]): string {
    const r = docker(args);
    if (r.code !== 0)
      throw new Error(
        `docker ${args.join(" ")} failed (${r.code}): ${r.err}${r.out}\n--- berthd log tail:\n${log().slice(-3000)}`,
      );
    return r.out.trim();
  }
  const log = () => (existsSync(daemonLog) ? readFileSync(daemonLog, "utf8") : "");

  before(async () => {
    chmodSync(top, 0o755);
    // slirp4netns opens /dev/net/tun as the user: udev's (and `make deps`') mode is 0666.
    if ((statSync("/dev/net/tun").mode & 0o006) !== 0o006) chmodSync("/dev/net/tun", 0o666);
    // A user of this name left by a killed earlier run (the name is this test's own).
    if (run("id", ["-u", user]).code === 0) run("userdel", ["--remove", user]);
    const add = run("useradd", [
      "--create-home",
      "--home-dir",
      home,
      "--shell",
      "/bin/sh",
      "--user-group",
      user,
    ]);
    assert.equal(add.code, 0, add.err);
    uid = Number(run("id", ["-u", user]).out.trim());
    gid = Number(run("id", ["-g", user]).out.trim());
    if (!subRange("/etc/subuid", user) || !subRange("/etc/subgid", user)) {
      // useradd gives ranges when login.defs says so; otherwise take a free one.
      let free = 100_000;
      for (const f of ["/etc/subuid", "/etc/subgid"])
        for (const line of readFileSync(f, "utf8").split("\n")) {
          const [, s, n] = line.split(":");
          if (s && n) free = Math.max(free, Number(s) + Number(n));
        }
      const range = `${free}-${free + 65535}`;
      const mod = run("usermod", ["--add-subuids", range, "--add-subgids", range, user]);
      assert.equal(mod.code, 0, mod.err);
    }
    sub = subRange("/etc/subuid", user) as { start: number; size: number };
    // As a login session's: private to the user. The home too (Debian's adduser makes it 0700).
    chmodSync(home, 0o700);
    mkdirSync(runtimeDir, { mode: 0o700 });
    chownSync(runtimeDir, uid, gid);
    // A root-owned file in a world-writable dir, bind-mounted read-write into a container.
    mkdirSync(bindDir, { mode: 0o777 });
    chmodSync(bindDir, 0o777);
    writeFileSync(join(bindDir, "root-owned"), "host\n", { mode: 0o644 });

    // A registry on the host's own address: reached from inside through slirp4netns.
    let ip = hostAddress();
    if (!ip) {
      // A host without a network: a veth pair of this test's own (veth is there: berth's
      // bridges need it) gives it an address.
      ip = `198.51.100.${(process.pid % 250) + 1}`;
      const add = run("sh", [
        "-c",
        `ip link add ${dummy} type veth peer name ${dummy}p && ip addr add ${ip}/32 dev ${dummy} && ip link set ${dummy} up && ip link set ${dummy}p up`,
      ]);
      assert.equal(add.code, 0, add.err);
    }
    const port = await freePort(ip);
    reg = `${ip}:${port}`;
    writeFileSync(
      join(top, "reg.yml"),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(top, "registry")}\nhttp:\n  addr: ${reg}\n`,
    );
    registry = spawn("docker-registry", ["serve", join(top, "reg.yml")], { stdio: "ignore" });
    await waitFor("the registry", 60_000, () =>
      run("curl", ["-sf", `http://${reg}/v2/`]).code === 0 ? true : undefined,
    );
    // The user's daemon.json, where rootless berthd looks for it ($XDG_CONFIG_HOME unset: ~/.config).
    mkdirSync(join(home, ".config/berth"), { recursive: true });
    writeFileSync(join(home, ".config/berth/daemon.json"), JSON.stringify({ "insecure-registries": [reg] }));
    run("chown", ["-R", `${uid}:${gid}`, join(home, ".config")]);

    // A checkout in a private home (CI's /root/...) cannot be read by the user: run the
    // installed form instead, `make install`'s bundle, copied where the user can read it.
    if (spawnSync(process.execPath, [DAEMON, "--version"], { uid, gid, cwd: home }).status !== 0) {
      const b = run(process.execPath, [join(REPO, "scripts/bundle.mjs"), process.execPath]);
      assert.equal(b.code, 0, `bundle: ${b.err}`);
      cpSync(join(REPO, "dist/install/lib"), join(top, "lib"), { recursive: true });
      run("chmod", ["-R", "a+rX", join(top, "lib")]);
      DAEMON = join(top, "lib/berthd.mjs");
      assert.equal(spawnSync(process.execPath, [DAEMON, "--version"], { uid, gid, cwd: home }).status, 0);
    }
    // berthd with no flags at all, as the user would start it.
    daemon = await startBerthd([], {});
  });

  /** Starts berthd as the user (rootless detected) and waits until it serves its socket. */
  async function startBerthd(args: string[], env: Record<string, string>): Promise<ChildProcess> {
    const { openSync } = await import("node:fs");
    const fd = openSync(daemonLog, "a");
    const child = spawn(process.execPath, [DAEMON, "--log-level", "debug", "--log-format", "json", ...args], {
      uid,
      gid,
      cwd: home,
      stdio: ["ignore", fd, fd],
      env: {
        PATH: process.env.PATH,
        HOME: home,
        USER: user,
        LOGNAME: user,
        XDG_RUNTIME_DIR: runtimeDir,
        ...env,
      },
    });
    await waitFor("berthd to serve", 120_000, () => {
      if (child.exitCode !== null) throw new Error(`berthd exited: ${log()}`);
      return docker(["version", "--format", "{{.Server.Version}}"], { timeout: 10_000 }).code === 0
        ? true
        : undefined;
    });
    return child;
  }

  after(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill("SIGTERM");
      await exitOf(daemon, 60_000);
    }
    registry?.kill();
    run("ip", ["link", "del", dummy]);
    // Whatever is left of the user's processes (none if the stop test passed) goes by pid.
    if (uid) {
      for (const pid of [...pidsOfUids(uid, uid + 1), ...pidsOfUids(sub.start, sub.start + sub.size)])
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      await waitFor("the user's processes to end", 30_000, () =>
        pidsOfUids(uid, uid + 1).length === 0 ? true : undefined,
      ).catch(() => {});
    }
    run("userdel", ["--remove", user]);
    // userdel removes the subordinate ranges with the user; make sure of it.
    for (const f of ["/etc/subuid", "/etc/subgid"])
      if (
        readFileSync(f, "utf8")
          .split("\n")
          .some((l) => l.startsWith(`${user}:`))
      )
        run("sh", ["-c", `sed -i '/^${user}:/d' ${f}`]);
    rmSync(top, { recursive: true, force: true });
    // Nothing of the user is left: account, ranges, processes, files, mounts.
    assert.notEqual(run("id", ["-u", user]).code, 0, `user ${user} was not removed`);
    for (const f of ["/etc/subuid", "/etc/subgid"])
      assert.ok(
        !readFileSync(f, "utf8")
          .split("\n")
          .some((l) => l.startsWith(`${user}:`)),
        `${user} still in ${f}`,
      );
    if (uid) assert.deepEqual(pidsOfUids(sub.start, sub.start + sub.size), []);
    assert.ok(!existsSync(top), `${top} was not removed`);
    assert.ok(!readFileSync("/proc/mounts", "utf8").includes(top), `mounts left under ${top}`);
  });

  it("is rootless: docker info says so, the daemon runs as the user, state in XDG dirs", () => {
    const info = JSON.parse(ok(["info", "--format", "{{json .}}"]));
    assert.ok(info.SecurityOptions.includes("name=rootless"), JSON.stringify(info.SecurityOptions));
    assert.equal(info.CgroupDriver, "none");
    assert.equal(info.DockerRootDir, join(home, ".local/share/berth"));
    // berthd, rootlesskit, slirp4netns, conmon: nothing the daemon started runs as root.
    const tree = descendants(daemon?.pid ?? -1);
    assert.ok(tree.length >= 3, `expected rootlesskit and berthd under the daemon, got ${tree.length}`);
    for (const p of tree) assert.notEqual(uidOf(p), 0, `pid ${p} runs as root`);
    assert.ok(statSync(join(runtimeDir, "berth.sock")).isSocket());
    assert.equal(statSync(join(runtimeDir, "berth.sock")).uid, uid);
    assert.ok(existsSync(join(home, ".local/share/berth")), "no state in $XDG_DATA_HOME/berth");
    assert.equal(statSync(join(home, ".local/share/berth")).uid, uid);
  });

  it("imports an image, pushes it to the host's registry and pulls it back", () => {
    const tar = busyboxTar(top);
    ok(["import", tar, `${reg}/base:1`]);
    ok(["push", `${reg}/base:1`]);
    ok(["rmi", `${reg}/base:1`]);
    assert.notEqual(docker(["image", "inspect", `${reg}/base:1`]).code, 0);
    const pulled = ok(["pull", `${reg}/base:1`]);
    assert.match(pulled, /Downloaded newer image/);
    assert.equal(
      ok(["run", "--rm", `${reg}/base:1`, "cat", "/etc/passwd"]).split("\n")[0],
      "root:x:0:0:root:/root:/bin/sh",
    );
  });

  it("builds with a RUN step, and containers' root is a subordinate id", () => {
    const ctx = join(home, "ctx");
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, "Dockerfile"),
      `FROM ${reg}/base:1\nRUN mkdir -p /www && echo "served rootless" > /www/index.html && id -u > /built-by\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    );
    run("chown", ["-R", `${uid}:${gid}`, ctx]);
    const out = ok(["build", "-t", `${reg}/app:1`, ctx]);
    assert.match(out, /Successfully tagged/);
    assert.equal(ok(["run", "--rm", `${reg}/app:1`, "cat", "/built-by"]), "0");
    // uid 0 inside is the first subordinate id outside: the map shows it.
    const map = ok(["run", "--rm", `${reg}/app:1`, "cat", "/proc/self/uid_map"])
      .trim()
      .split(/\s+/)
      .map(Number);
    assert.equal(map[0], 0);
    assert.equal(map[2], Math.min(sub.size, 65536));
  });

  it("builds with RUN --mount cache and secret (their files reachable by the remapped root)", () => {
    const ctx = join(home, "ctx-mounts");
    mkdirSync(ctx);
    writeFileSync(
      join(ctx, "Dockerfile"),
      `FROM ${reg}/base:1
RUN --mount=type=cache,target=/cache echo run >> /cache/log && cp /cache/log /log
RUN --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" = s3cret && touch /secret-ok
`,
    );
    writeFileSync(join(home, "tok"), "s3cret");
    run("chown", ["-R", `${uid}:${gid}`, ctx, join(home, "tok")]);
    // Secrets come through the berth CLI (the docker CLI passes them only to BuildKit).
    const cli = DAEMON.endsWith("berthd.mjs")
      ? join(DAEMON, "../berth.mjs")
      : resolve(DAEMON, "../../cli/main.js");
    const env = { HOME: home, XDG_RUNTIME_DIR: runtimeDir, PATH: process.env.PATH };
    for (const tag of ["m:1", "m:2"]) {
      const r = spawnSync(
        process.execPath,
        [cli, "build", "--no-cache", "--secret", `id=tok,src=${join(home, "tok")}`, "-t", tag, ctx],
        { uid, gid, cwd: home, env, encoding: "utf8", timeout: 180_000 },
      );
      assert.equal(r.status, 0, `berth build: ${r.stderr}${r.stdout}`);
    }
    // The cache mount kept the first build's line; the secret was read, not kept.
    assert.equal(ok(["run", "--rm", "m:2", "cat", "/log"]), "run\nrun");
    assert.equal(
      ok(["run", "--rm", "m:2", "sh", "-c", "test -e /secret-ok && ! test -e /run/secrets/tok && echo ok"]),
      "ok",
    );
    ok(["rmi", "m:1", "m:2"]);
  });

  it("publishes a port on the host's 127.0.0.1, fetched with curl", async () => {
    webPort = await freePort("127.0.0.1");
    ok(["run", "-d", "--name", "web", "-p", `127.0.0.1:${webPort}:8080`, `${reg}/app:1`]);
    const body = await waitFor("the published port", 120_000, () => {
      const r = run("curl", ["-sf", "--max-time", "10", `http://127.0.0.1:${webPort}/`]);
      return r.code === 0 ? r.out : undefined;
    });
    assert.equal(body, "served rootless\n");
    assert.match(ok(["port", "web", "8080"]), new RegExp(`127\\.0\\.0\\.1:${webPort}`));
    // exec, logs and top work without a cgroup (top lists the container's pid namespace).
    assert.equal(ok(["exec", "web", "cat", "/www/index.html"]), "served rootless");
    assert.match(ok(["top", "web"]), /httpd -f -p 8080/);
  });

  it("refuses what the user namespace cannot do, saying why", () => {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8"));
    if (start > 80) {
      const r = docker(["run", "--rm", "-p", "80:8080", `${reg}/app:1`, "true"]);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /rootless: cannot publish host port 80 .*ip_unprivileged_port_start/);
    }
    const m = docker(["run", "--rm", "--memory", "64m", `${reg}/app:1`, "true"]);
    assert.notEqual(m.code, 0);
    assert.match(m.err, /rootless: cannot apply --memory: .*cgroup v2.*; run without the limit/);
    const rule = docker(["run", "--rm", "--device-cgroup-rule", "c 1:3 rwm", `${reg}/app:1`, "true"]);
    assert.notEqual(rule.code, 0);
    assert.match(rule.err, /rootless: cannot apply --device-cgroup-rule: /);
    // The docker CLI's default (-1) is no setting; 0 is one.
    ok(["run", "--rm", `${reg}/app:1`, "true"]);
    const swap = docker(["run", "--rm", "--memory-swappiness", "0", `${reg}/app:1`, "true"]);
    assert.match(swap.err, /rootless: cannot apply --memory-swappiness: /);
    const dev = docker(["run", "--rm", "--device", "/dev/kmsg", `${reg}/app:1`, "true"]);
    assert.notEqual(dev.code, 0);
    assert.match(dev.err, /rootless: cannot add device "\/dev\/kmsg"/);
    const pause = docker(["pause", "web"]);
    assert.notEqual(pause.code, 0);
    assert.match(pause.err, /cannot pause container \w+: it has no cgroup to freeze/);
    // Nothing was left behind by the refusals, and the daemon keeps serving.
    assert.equal(ok(["ps", "-q", "--filter", "status=created"]), "");
  });

  it("keeps data in a named volume and a bind mount, with the host's ownership rules", () => {
    ok(["volume", "create", "data"]);
    ok(["run", "--rm", "-v", "data:/data", `${reg}/app:1`, "sh", "-c", "echo kept > /data/f"]);
    assert.equal(ok(["run", "--rm", "-v", "data:/data", `${reg}/app:1`, "cat", "/data/f"]), "kept");
    // Root inside cannot write a root-owned file of the host, even bind-mounted rw.
    const w = docker([
      "run",
      "--rm",
      "-v",
      `${bindDir}:/b`,
      `${reg}/app:1`,
      "sh",
      "-c",
      "echo pwned >> /b/root-owned",
    ]);
    assert.notEqual(w.code, 0, "uid 0 of the container wrote a root-owned host file");
    assert.equal(readFileSync(join(bindDir, "root-owned"), "utf8"), "host\n");
    // What it creates there belongs, on the host, to the user's subordinate range.
    ok(["run", "--rm", "-v", `${bindDir}:/b`, `${reg}/app:1`, "sh", "-c", "echo new > /b/made"]);
    const st = statSync(join(bindDir, "made"));
    assert.ok(
      st.uid >= sub.start && st.uid < sub.start + sub.size,
      `owner ${st.uid} not in ${sub.start}+${sub.size}`,
    );
    assert.equal(st.uid, sub.start, "container root should be the first subordinate id");
    assert.notEqual(st.uid, uid);
  });

  it("resolves names on a user network through the embedded DNS inside the namespace", async () => {
    ok(["network", "create", "appnet"]);
    ok(["run", "-d", "--name", "srv", "--network", "appnet", `${reg}/app:1`]);
    const got = await waitFor("srv to answer by name", 60_000, () => {
      const r = docker([
        "run",
        "--rm",
        "--network",
        "appnet",
        `${reg}/app:1`,
        "wget",
        "-qO-",
        "http://srv:8080/",
      ]);
      return r.code === 0 ? r.out : undefined;
    });
    assert.equal(got, "served rootless\n");
  });

  it("pushes what it built to the registry", () => {
    ok(["push", `${reg}/app:1`]);
    const catalog = JSON.parse(run("curl", ["-sf", `http://${reg}/v2/_catalog`]).out);
    assert.deepEqual(catalog.repositories.sort(), ["app", "base"]);
  });

  it("takes its containers along when killed, and recovers them at the next start", async () => {
    ok(["run", "-d", "--name", "keeper", "--restart", "always", `${reg}/app:1`]);
    assert.ok(daemon);
    const inner = descendants(daemon.pid ?? -1).find(
      (p) => p !== daemon?.pid && readFileSync(`/proc/${p}/cmdline`, "utf8").includes(DAEMON),
    );
    assert.ok(inner, "no berthd inside rootlesskit");
    process.kill(inner, "SIGKILL");
    assert.notEqual(await exitOf(daemon, 120_000), "timeout");
    // rootlesskit's pid namespace ends with berthd: no conmon, no container survives it.
    await waitFor("the containers to die with berthd", 60_000, () =>
      pidsOfUids(uid, uid + 1).length === 0 && pidsOfUids(sub.start, sub.start + sub.size).length === 0
        ? true
        : undefined,
    );
    daemon = await startBerthd([], {});
    await waitFor("keeper to be restarted (--restart always)", 120_000, () =>
      ok(["inspect", "-f", "{{.State.Running}}", "keeper"]) === "true" ? true : undefined,
    );
    assert.equal(ok(["inspect", "-f", "{{.State.Running}}", "web"]), "false");
    ok(["rm", "-f", "keeper"]);
    // The published port comes back with a new start of its container.
    ok(["start", "web"]);
    const body = await waitFor("the published port after the restart", 120_000, () => {
      const r = run("curl", ["-sf", "--max-time", "10", `http://127.0.0.1:${webPort}/`]);
      return r.code === 0 ? r.out : undefined;
    });
    assert.equal(body, "served rootless\n");
  });

  it("stops it all: containers, the daemon and its namespaces, leaving no process", async () => {
    ok(["rm", "-f", "web", "srv"]);
    ok(["network", "rm", "appnet"]);
    const closed = await waitFor("the published port to close", 60_000, () =>
      run("curl", ["-s", "--max-time", "5", `http://127.0.0.1:${webPort}/`]).code !== 0 ? true : undefined,
    );
    assert.ok(closed);
    ok(["run", "-d", "--name", "left-running", `${reg}/app:1`]);
    assert.ok(daemon);
    daemon.kill("SIGTERM");
    const code = await exitOf(daemon, 120_000);
    assert.equal(code, 0, `berthd did not stop cleanly: ${log().slice(-2000)}`);
    await waitFor("every process of the user and its containers to end", 60_000, () =>
      pidsOfUids(uid, uid + 1).length === 0 && pidsOfUids(sub.start, sub.start + sub.size).length === 0
        ? true
        : undefined,
    );
    assert.ok(!existsSync(join(runtimeDir, "berth.sock")) || docker(["ps"], { timeout: 10_000 }).code !== 0);
    assert.doesNotMatch(log(), /BUG: unhandled rejection/);
  });

  it("runs on fuse-overlayfs when asked (the fallback where the kernel refuses overlay)", async (t) => {
    if (!existsSync("/dev/fuse")) return t.skip("no /dev/fuse: the kernel has no FUSE");
    // fuse-overlayfs opens /dev/fuse as the user: udev's (and `make deps`') mode is 0666.
    if ((statSync("/dev/fuse").mode & 0o006) !== 0o006) chmodSync("/dev/fuse", 0o666);
    const data = join(home, "fuse-data");
    daemon = await startBerthd(["--storage-driver", "fuse-overlayfs"], { XDG_DATA_HOME: data });
    assert.equal(ok(["info", "--format", "{{.Driver}}"]), "fuse-overlayfs");
    ok(["import", join(top, "busybox.tar"), "bb"]);
    const root = ok(["run", "--rm", "bb", "sh", "-c", "grep ' / ' /proc/mounts"]);
    assert.match(root, /fuse-overlayfs/);
    ok(["run", "--name", "changed", "bb", "sh", "-c", "rm /bin/ls && echo new > /new"]);
    const diff = ok(["diff", "changed"]).split("\n");
    assert.ok(diff.includes("D /bin/ls") && diff.includes("A /new"), diff.join(", "));
    ok(["commit", "changed", "bb:changed"]);
    assert.equal(
      ok(["run", "--rm", "bb:changed", "sh", "-c", "cat /new; test -e /bin/ls || echo gone"]),
      "new\ngone",
    );
    ok(["rm", "changed"]);
    daemon.kill("SIGTERM");
    assert.equal(await exitOf(daemon, 120_000), 0);
    assert.ok(existsSync(join(data, "berth")), "state not in $XDG_DATA_HOME/berth");
    await waitFor("the user's processes to end", 60_000, () =>
      pidsOfUids(uid, uid + 1).length === 0 ? true : undefined,
    );
  });
});

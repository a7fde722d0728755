/**
 * `make install DESTDIR=<tmp>` puts the expected tree in place, and the
 * installed (bundled) berthd runs as systemd would run it: under
 * systemd-socket-activate with -H fd://, driven by the docker CLI through the
 * activated socket, with READY=1 (then STOPPING=1) received on a NOTIFY_SOCKET
 * datagram socket (socat stands for systemd's listener).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, DOCKER } from "../helpers/daemon.js";

const REPO = resolve(import.meta.dirname, "../../..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
) {
  const r = spawnSync(cmd, args, { ...opts, encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

async function waitFor(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (test()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("make install", { timeout: 600_000 }, () => {
  const dir = mkdtempSync("/tmp/berth-install-");
  const dest = join(dir, "dest");
  const prefix = "/opt/berth-test";
  const bin = join(dest, prefix, "bin");
  const tag = dir
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x");
  let activate: ChildProcess | undefined;
  let listener: ChildProcess | undefined;
  const state = join(dir, "state");

  before(() => {
    const r = sh("make", ["install", `DESTDIR=${dest}`, `PREFIX=${prefix}`], { cwd: REPO });
    assert.equal(r.code, 0, `make install failed: ${r.err}${r.out}`);
  });

  after(async () => {
    if (activate && activate.exitCode === null) {
      activate.kill("SIGTERM");
      await new Promise((r) => (activate?.exitCode !== null ? r(null) : activate.once("exit", r)));
    }
    listener?.kill("SIGTERM");
    sh("sh", ["-c", `grep ' ${dir}' /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l`]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("installs the programs, units, configuration, completions and man pages", () => {
    for (const name of ["berth", "berthd"]) {
      const link = join(bin, name);
      assert.ok(lstatSync(link).isSymbolicLink(), `${name} is a link into lib/berth`);
      assert.ok(!readlinkSync(link).startsWith("/"), "relative link, valid wherever DESTDIR goes");
      const target = realpathSync(link);
      assert.equal(target, join(dest, prefix, "lib/berth", `${name}.mjs`));
      assert.ok(statSync(target).mode & 0o111, `${name} is executable`);
      assert.match(readFileSync(target, "utf8").split("\n")[0]!, /^#!\/\S*node$/);
    }
    const koffiNative = join(dest, prefix, "lib/berth/node_modules/@koromix", `koffi-linux-${process.arch}`);
    assert.ok(existsSync(join(dest, prefix, "lib/berth/node_modules/koffi/package.json")));
    assert.ok(existsSync(koffiNative), "koffi's native module beside the bundles");

    const units = join(dest, prefix, "lib/systemd/system");
    const service = readFileSync(join(units, "berthd.service"), "utf8");
    assert.match(service, new RegExp(`^ExecStart=${prefix}/bin/berthd -H fd://$`, "m"));
    for (const line of ["Type=notify", "Delegate=yes", "KillMode=process", "Requires=berthd.socket"])
      assert.match(service, new RegExp(`^${line}$`, "m"));
    const socket = readFileSync(join(units, "berthd.socket"), "utf8");
    for (const line of ["ListenStream=/run/berth/berth.sock", "SocketMode=0660", "SocketGroup=berth"])
      assert.match(socket, new RegExp(`^${line}$`, "m"));
    // Rootless: a user unit running berthd as the user (rootless is detected).
    const user = readFileSync(join(dest, prefix, "lib/systemd/user/berthd.service"), "utf8");
    assert.match(user, new RegExp(`^ExecStart=${prefix}/bin/berthd$`, "m"));
    if (existsSync("/usr/bin/systemd-analyze")) {
      // Verified as installed: a copy whose ExecStart names the staged berthd.
      const check = join(dir, "units");
      mkdirSync(check, { recursive: true });
      writeFileSync(join(check, "berthd.service"), service.replace(`${prefix}/bin`, bin));
      writeFileSync(join(check, "berthd.socket"), socket);
      const v = sh("systemd-analyze", [
        "verify",
        join(check, "berthd.socket"),
        join(check, "berthd.service"),
      ]);
      // Clean but for Documentation=man:berthd(8), which the staged tree can't serve.
      const complaints = v.err.split("\n").filter((l) => l && !/Command 'man berthd\(8\)' failed/.test(l));
      assert.deepEqual(complaints, []);
    }

    const cfg = JSON.parse(readFileSync(join(dest, "etc/berth/daemon.json"), "utf8"));
    assert.equal(cfg.group, "berth");
    for (const f of ["man1/berth.1", "man8/berthd.8"]) {
      const page = readFileSync(join(dest, prefix, "share/man", f), "utf8");
      assert.match(page, /^\.TH BERTH/);
    }
    const berthPage = readFileSync(join(dest, prefix, "share/man/man1/berth.1"), "utf8");
    assert.match(berthPage, /^\.SS berth container ls$/m, "subcommands are documented");
    const daemonPage = readFileSync(join(dest, prefix, "share/man/man8/berthd.8"), "utf8");
    assert.match(daemonPage, /\\-\\-log\\-format/);
    if (existsSync("/usr/bin/man")) {
      const m = sh("man", ["-l", join(dest, prefix, "share/man/man1/berth.1")], {
        env: { ...process.env, MANPAGER: "cat" },
      });
      assert.equal(m.code, 0, m.err);
      assert.match(m.out, /berth - /);
    }
    assert.match(
      readFileSync(join(dest, prefix, "share/bash-completion/completions/berth"), "utf8"),
      /complete .*berth/,
    );
    assert.match(
      readFileSync(join(dest, prefix, "share/zsh/site-functions/_berth"), "utf8"),
      /^#compdef berth/,
    );
    assert.match(
      readFileSync(join(dest, prefix, "share/fish/vendor_completions.d/berth.fish"), "utf8"),
      /complete -c berth/,
    );
  });

  it("bakes the build's git commit and time into the installed programs", () => {
    const v = sh(join(bin, "berth"), ["version", "--format", "{{json .Client}}"], {
      env: { ...process.env, BERTH_HOST: "unix:///nonexistent" },
    });
    const client = JSON.parse(v.out.split("\n")[0]!);
    // The commit the bundle was built from: this checkout's HEAD.
    const head = sh("git", ["rev-parse", "--short=12", "HEAD"], { cwd: REPO }).out.trim();
    assert.equal(String(client.GitCommit).replace(/-dirty$/, ""), head);
    assert.match(client.BuildTime, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    assert.equal(client.Version, JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
    // --version as docker prints it: "Docker version 28.2.2, build e6534b4".
    assert.equal(
      sh(join(bin, "berth"), ["--version"]).out,
      `berth version ${client.Version}, build ${client.GitCommit}\n`,
    );
    assert.equal(
      sh(join(bin, "berthd"), ["--version"]).out,
      `berthd version ${client.Version}, build ${client.GitCommit}\n`,
    );
  });

  it("keeps an existing daemon.json on a second install", () => {
    const path = join(dest, "etc/berth/daemon.json");
    writeFileSync(path, '{"log-level": "debug"}\n');
    const r = sh("make", ["install", `DESTDIR=${dest}`, `PREFIX=${prefix}`], { cwd: REPO });
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(path, "utf8"), '{"log-level": "debug"}\n');
  });

  it("serves the docker CLI through a socket-activated fd:// and notifies READY=1", async () => {
    const sock = join(dir, "api.sock");
    const notify = join(dir, "notify.sock");
    const notes = join(dir, "notify.out");
    listener = spawn("socat", ["-u", `UNIX-RECV:${notify}`, `OPEN:${notes},creat,append`], {
      stdio: "ignore",
    });
    await waitFor("the notify listener", () => existsSync(notify));
    const log = openSync(join(dir, "berthd.log"), "a");
    activate = spawn(
      "systemd-socket-activate",
      [
        "-E",
        "NOTIFY_SOCKET",
        "-l",
        sock,
        join(bin, "berthd"),
        "--config-file",
        join(dest, "etc/berth/daemon.json"),
        "--root",
        join(state, "root"),
        "--exec-root",
        join(state, "exec"),
        "-H",
        "fd://",
        "--bridge",
        `bi${tag}0`,
        "--network-prefix",
        `bi${tag}`,
      ],
      { env: { ...process.env, NOTIFY_SOCKET: notify }, stdio: ["ignore", log, log] },
    );
    await waitFor("the activation socket", () => existsSync(sock));
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: "0" };
    const docker = (...args: string[]) => sh(DOCKER, args, { env });
    // The first connection starts berthd: docker waits on the socket systemd holds.
    const v = docker(
      "version",
      "--format",
      "{{.Server.Platform.Name}} {{range .Server.Components}}{{.Name}} {{end}}",
    );
    assert.equal(v.code, 0, `${v.err}\n${readFileSync(join(dir, "berthd.log"), "utf8")}`);
    assert.match(v.out, /^berth Engine runc conmon docker-init/);
    await waitFor("READY=1", () => existsSync(notes) && readFileSync(notes, "utf8").includes("READY=1"));
    assert.match(readFileSync(notes, "utf8"), /^READY=1\nMAINPID=\d+/);

    assert.equal(docker("import", "--change", 'CMD ["sh"]', busyboxTar(dir), "bb").code, 0);
    const run = docker("run", "--rm", "bb", "ls", "-l", "/proc/1/fd");
    assert.equal(run.code, 0, run.err);
    // The activated socket (and the daemon's other fds) must not leak into containers.
    assert.doesNotMatch(run.out, /socket:/, run.out);
    const ps = docker("ps", "-a", "--format", "json");
    assert.equal(ps.code, 0);
    assert.equal(ps.out, "");

    activate.kill("SIGTERM");
    await new Promise((r) => (activate?.exitCode !== null ? r(null) : activate.once("exit", r)));
    await waitFor("STOPPING=1", () => readFileSync(notes, "utf8").includes("STOPPING=1"));
    assert.equal(activate.exitCode, 0);
  });

  it("uninstalls everything but the configuration", () => {
    const r = sh("make", ["uninstall", `DESTDIR=${dest}`, `PREFIX=${prefix}`], { cwd: REPO });
    assert.equal(r.code, 0, r.err);
    const left = sh("find", [dest, "-type", "f"]).out.trim().split("\n");
    assert.deepEqual(left, [join(dest, "etc/berth/daemon.json")]);
  });
});

/**
 * Limits and isolation, checked from inside real containers: the OOM killer
 * under --memory, a fork loop under --pids-limit, capabilities, the masked
 * /proc paths, mount and module loading refused by default, and what
 * --privileged opens up.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("resource limits and the default security profile", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-sec-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it("OOM-kills a process that allocates past --memory 32m and says so", () => {
    // tail keeps the current "line" in memory, and /dev/zero has no newline.
    const r = d.docker(["run", "--name", "oom", "--memory", "32m", "bb", "tail", "/dev/zero"], {
      timeout: 60_000,
    });
    assert.equal(r.code, 137, r.err);
    assert.equal(d.ok(["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom"]), "true 137");
    assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.Memory}}", "oom"]), String(32 * 1024 * 1024));
    d.ok(["rm", "oom"]);
  });

  it("keeps a fork loop under --pids-limit 20", async () => {
    d.ok(["run", "-d", "--name", "forks", "--pids-limit", "20", "bb", "sleep", "300"]);
    // The loop forks until the kernel refuses (ash then gives up); its sleeps stay behind.
    const loop = d.docker(["exec", "forks", "sh", "-c", "while :; do sleep 60 & done"]);
    assert.match(loop.err, /can't fork|Resource temporarily unavailable/);
    const pids = Number(d.ok(["stats", "--no-stream", "--format", "{{.PIDs}}", "forks"]));
    assert.ok(pids >= 15 && pids <= 20, `processes in the container: ${pids}`);
    assert.equal(d.ok(["inspect", "-f", "{{.State.Status}}", "forks"]), "running");
    d.ok(["rm", "-f", "forks"]);
  });

  it("--cap-drop ALL makes chown fail; the default set allows it", () => {
    assert.equal(d.docker(["run", "--rm", "bb", "chown", "1:1", "/tmp"]).code, 0);
    const r = d.docker(["run", "--rm", "--cap-drop", "ALL", "bb", "chown", "1:1", "/tmp"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err + r.out, /not permitted/);
    const capEff = (...o: string[]) =>
      d.ok(["run", "--rm", ...o, "bb", "sh", "-c", "grep ^CapEff /proc/self/status | cut -f2"]);
    assert.equal(capEff("--cap-drop", "ALL"), "0000000000000000");
    assert.equal(capEff(), "00000000a80425fb"); // Docker's default 14 capabilities
  });

  it("a default container cannot mount, read /proc/kcore or load modules", () => {
    const mount = d.docker(["run", "--rm", "bb", "mount", "-t", "tmpfs", "none", "/tmp"]);
    assert.notEqual(mount.code, 0);
    assert.match(mount.err, /denied|not permitted/);
    // Masked with /dev/null: they read as empty (this host's kernel may have no /proc/kcore).
    const masked = ["/proc/kcore", "/proc/keys", "/proc/timer_list"].filter((p) => existsSync(p));
    assert.ok(statSync("/proc/keys").isFile());
    const read = (...o: string[]) =>
      d.ok([
        "run",
        "--rm",
        ...o,
        "bb",
        "sh",
        "-c",
        `cat ${masked.join(" ")} 2>/dev/null | head -c 64 | wc -c`,
      ]);
    assert.equal(read(), "0");
    assert.equal(read("--privileged"), "64");
    const ro = d.docker(["run", "--rm", "bb", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname"]);
    assert.notEqual(ro.code, 0);
    const insmod = d.docker([
      "run",
      "--rm",
      "bb",
      "sh",
      "-c",
      "head -c 4096 /dev/urandom > /m.ko; insmod /m.ko",
    ]);
    assert.notEqual(insmod.code, 0);
    assert.match(insmod.err, /not permitted/);
  });

  it("--privileged can mount and sees the host's devices", () => {
    const hostDevice = ["/dev/kmsg", "/dev/loop0", "/dev/mem", "/dev/tty1"].find((p) => existsSync(p));
    assert.ok(hostDevice, "no host device to look for");
    assert.notEqual(d.docker(["run", "--rm", "bb", "test", "-e", hostDevice]).code, 0);
    assert.equal(d.docker(["run", "--rm", "--privileged", "bb", "test", "-e", hostDevice]).code, 0);
    const r = d.docker([
      "run",
      "--rm",
      "--privileged",
      "bb",
      "sh",
      "-c",
      "mount -t tmpfs none /tmp && touch /tmp/x && echo mounted",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), "mounted");
  });

  it("--read-only root refuses writes except to --tmpfs", () => {
    const r = d.docker(["run", "--rm", "--read-only", "--tmpfs", "/tmp", "bb", "sh", "-c", "touch /x"]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /Read-only file system/);
    d.ok(["run", "--rm", "--read-only", "--tmpfs", "/tmp", "bb", "touch", "/tmp/x"]);
  });
});

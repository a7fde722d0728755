/**
 * Limits and isolation, checked from inside real containers: the OOM killer
 * under --memory, a fork loop under --pids-limit, capabilities, the masked
 * /proc paths, mount and module loading refused by default, and what
 * --privileged opens up.
 */
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, DOCKER, startDaemon } from "../helpers/daemon.js";
describe("resource limits and the default security profile", () => {
    let d;
    let work;
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
        // The CLI sends --until in whole seconds: ask up to the next one so this second's events count.
        const until = String(Math.ceil(Date.now() / 1000) + 1);
        const events = d.ok([
            "events",
            "--since",
            "0",
            "--until",
            until,
            "--filter",
            "container=oom",
            "--format",
            "{{.Action}}",
        ]);
        assert.match(events, /^oom$/m, "an oom event");
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
        const capEff = (...o) => d.ok(["run", "--rm", ...o, "bb", "sh", "-c", "grep ^CapEff /proc/self/status | cut -f2"]);
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
        const read = (...o) => d.ok([
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
    it("--device-*-bps/iops and --blkio-weight land in the blkio cgroup", (t) => {
        // The first real disk (not loop/zram/ram), as /dev/<name>.
        const disk = execSync("lsblk -dno NAME,TYPE", { encoding: "utf8" })
            .split("\n")
            .map((l) => l.trim().split(/\s+/))
            .find(([name, type]) => type === "disk" && !/^(loop|zram|ram)/.test(name ?? ""))?.[0];
        if (!disk || !existsSync("/sys/fs/cgroup/blkio"))
            return t.skip("no disk or no v1 blkio controller");
        const numbers = readFileSync(`/sys/class/block/${disk}/dev`, "utf8").trim();
        const dev = `/dev/${disk}`;
        const files = [
            "blkio.throttle.read_bps_device",
            "blkio.throttle.write_bps_device",
            "blkio.throttle.read_iops_device",
            "blkio.throttle.write_iops_device",
        ];
        const out = d.ok([
            "run",
            "--rm",
            "--device-read-bps",
            `${dev}:1mb`,
            "--device-write-bps",
            `${dev}:2mb`,
            "--device-read-iops",
            `${dev}:100`,
            "--device-write-iops",
            `${dev}:200`,
            "bb",
            "cat",
            ...files.map((f) => `/sys/fs/cgroup/blkio/${f}`),
        ]);
        assert.deepEqual(out.split("\n"), [
            `${numbers} 1048576`,
            `${numbers} 2097152`,
            `${numbers} 100`,
            `${numbers} 200`,
        ]);
        // Weight: blkio.weight on CFQ kernels, blkio.bfq.weight on BFQ ones (runc picks).
        const weight = d.ok([
            "run",
            "--rm",
            "--blkio-weight",
            "300",
            "bb",
            "sh",
            "-c",
            "cat /sys/fs/cgroup/blkio/blkio.weight 2>/dev/null || cat /sys/fs/cgroup/blkio/blkio.bfq.weight",
        ]);
        assert.match(weight, /\b300$/);
        const bad = d.docker(["run", "--rm", "--device-read-bps", "/dev/null:1mb", "bb", "true"]);
        assert.equal(bad.code, 125);
        assert.match(bad.err, /not a block device/);
    });
    it("refuses limits the host cannot honour, at create and at update, with Docker's words", () => {
        const ncpu = cpus().length;
        const refused = (args, message) => {
            const r = d.docker(args);
            assert.notEqual(r.code, 0, `${args.join(" ")} was accepted`);
            assert.match(r.err, message);
        };
        refused(["create", "--cpus", String(ncpu + 1), "bb"], new RegExp(`Range of CPUs is from 0.01 to ${ncpu}.00`));
        refused(["create", "--cpuset-cpus", String(ncpu + 3), "bb"], /Requested CPUs are not available - requested/);
        refused(["create", "--memory", "64m", "--memory-swap", "32m", "bb"], /memoryswap limit should be larger/);
        refused(["create", "--memory", "32m", "--memory-reservation", "64m", "bb"], /less than memory reservation/);
        refused(["create", "--blkio-weight", "5", "bb"], /Range of blkio weight is from 10 to 1000/);
        d.ok(["run", "-d", "--name", "limited", "--memory", "64m", "bb", "sleep", "300"]);
        refused(["update", "--cpus", String(ncpu + 1), "limited"], /Range of CPUs/);
        refused(["update", "--memory-reservation", "128m", "limited"], /less than memory reservation/);
        assert.equal(d.ok(["inspect", "-f", "{{.HostConfig.NanoCpus}} {{.HostConfig.MemoryReservation}}", "limited"]), "0 0");
        d.ok(["update", "--cpus", "0.5", "limited"]);
        assert.equal(d.ok(["exec", "limited", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]), "50000");
        d.ok(["rm", "-f", "limited"]);
    });
    it("--read-only root refuses writes except to --tmpfs", () => {
        const r = d.docker(["run", "--rm", "--read-only", "--tmpfs", "/tmp", "bb", "sh", "-c", "touch /x"]);
        assert.notEqual(r.code, 0);
        assert.match(r.err, /Read-only file system/);
        d.ok(["run", "--rm", "--read-only", "--tmpfs", "/tmp", "bb", "touch", "/tmp/x"]);
    });
});
describe("userns-remap", () => {
    let d;
    let work;
    before(async () => {
        work = mkdtempSync("/tmp/berth-userns-");
        // The remapped root must be able to walk to the daemon's and the test's directories.
        chmodSync(work, 0o711);
        d = await startDaemon({ extraArgs: ["--userns-remap", "default"], dirMode: 0o711 });
        d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    });
    after(async () => {
        await cleanupDaemon(d);
        rmSync(work, { recursive: true, force: true });
    });
    it("maps container root to the dockremap range; files it creates in a bind mount belong to that uid", () => {
        const [user, start] = readFileSync("/etc/subuid", "utf8")
            .split("\n")
            .map((l) => l.split(":"))
            .find(([u]) => u === "dockremap") ?? [];
        assert.equal(user, "dockremap");
        assert.match(d.ok(["info", "-f", "{{.SecurityOptions}}"]), /name=userns/);
        const bind = join(work, "bind");
        mkdirSync(bind, { mode: 0o777 });
        chmodSync(bind, 0o777);
        const out = d.ok([
            "run",
            "--rm",
            "-v",
            `${bind}:/data`,
            "bb",
            "sh",
            "-c",
            "id -u; touch /data/f; cat /proc/self/uid_map",
        ]);
        assert.match(out, new RegExp(`^0\\n\\s*0\\s+${start}\\s+65536$`));
        assert.equal(statSync(join(bind, "f")).uid, Number(start));
        // Root in the container is not root on the host: the host-owned bind mount is read-only to it.
        chmodSync(bind, 0o755);
        assert.notEqual(d.docker(["run", "--rm", "-v", `${bind}:/data`, "bb", "touch", "/data/g"]).code, 0);
    });
    it("stores layers shifted and writes unshifted tars on export", () => {
        d.ok(["run", "--name", "wr", "bb", "sh", "-c", "echo x > /made"]);
        const listing = execSync(`${DOCKER} -H ${d.host} export wr | tar tvf -`).toString();
        assert.match(listing, /^-\S+ 0\/0 .* made$/m);
        assert.match(listing, /^-\S+ 0\/0 .* bin\/busybox$/m);
        // On disk, the layer's files belong to the remapped root.
        const layerFile = execSync(`find ${d.root} -path '*/diff/bin/busybox' | head -1`).toString().trim();
        assert.notEqual(statSync(layerFile).uid, 0);
        d.ok(["rm", "wr"]);
    });
});
//# sourceMappingURL=security.test.js.map
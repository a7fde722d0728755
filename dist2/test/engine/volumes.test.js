/**
 * Local-driver volumes with the docker CLI: data that outlives containers,
 * `rm` refused while in use, filters, anonymous volumes filled from the image
 * and removed by `rm -v`, and device volumes (`-o type/device/o`, as tmpfs
 * or a bind) mounted while a running container uses them.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon } from "../helpers/daemon.js";
const mounted = (path) => readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[4] === path);
describe("volumes", () => {
    let d;
    let work;
    before(async () => {
        d = await startDaemon();
        work = mkdtempSync("/tmp/berth-vol-");
        d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    });
    after(async () => {
        await cleanupDaemon(d);
        rmSync(work, { recursive: true, force: true });
    });
    it("keeps a named volume's data after its container is gone and refuses rm while in use", () => {
        d.ok(["volume", "create", "--label", "team=a", "keep"]);
        d.ok(["run", "--rm", "-v", "keep:/data", "bb", "sh", "-c", "echo kept > /data/f"]);
        assert.equal(d.ok(["run", "--rm", "-v", "keep:/data:ro", "bb", "cat", "/data/f"]), "kept");
        const ro = d.docker(["run", "--rm", "-v", "keep:/data:ro", "bb", "touch", "/data/g"]);
        assert.notEqual(ro.code, 0);
        assert.match(ro.err, /Read-only file system/);
        d.ok(["run", "-d", "--name", "user", "-v", "keep:/data", "bb", "sleep", "300"]);
        const busy = d.docker(["volume", "rm", "keep"]);
        assert.equal(busy.code, 1);
        assert.match(busy.err, /volume is in use/);
        assert.equal(d.ok(["volume", "ls", "-q", "--filter", "dangling=false"]), "keep");
        assert.equal(d.ok(["volume", "ls", "-q", "--filter", "label=team=a"]), "keep");
        d.ok(["rm", "-f", "user"]);
        assert.equal(d.ok(["volume", "ls", "-q", "--filter", "dangling=true", "--filter", "name=keep"]), "keep");
        d.ok(["volume", "rm", "keep"]);
    });
    it("fills an anonymous volume from the image and removes it with rm -v", () => {
        const ctx = join(work, "ctx");
        mkdirSync(ctx, { recursive: true });
        writeFileSync(join(ctx, "Dockerfile"), "FROM bb\nRUN mkdir /seed && echo seeded > /seed/f\nVOLUME /seed\n");
        d.ok(["build", "-q", "-t", "seeded", ctx]);
        d.ok(["create", "--name", "anon", "seeded"]);
        const name = d.ok(["inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "anon"]);
        assert.match(name, /^[0-9a-f]{64}$/);
        d.ok(["start", "-a", "anon"]);
        const mountpoint = d.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", name]);
        assert.equal(readFileSync(join(mountpoint, "f"), "utf8"), "seeded\n");
        d.ok(["rm", "-v", "anon"]);
        assert.equal(d.docker(["volume", "inspect", name]).code, 1, "rm -v removed the anonymous volume");
    });
    it("mounts a tmpfs device volume with its options while a container runs", () => {
        d.ok([
            "volume",
            "create",
            "-o",
            "type=tmpfs",
            "-o",
            "device=tmpfs",
            "-o",
            "o=size=8m,uid=1000",
            "scratch",
        ]);
        const mountpoint = d.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", "scratch"]);
        assert.equal(mounted(mountpoint), false, "not mounted before use");
        const out = d.ok([
            "run",
            "--rm",
            "-v",
            "scratch:/s",
            "bb",
            "sh",
            "-c",
            "grep ' /s ' /proc/mounts; stat -c %u /s",
        ]);
        assert.match(out, /^tmpfs \/s tmpfs rw,.*size=8192k/m);
        assert.match(out, /^1000$/m);
        assert.equal(mounted(mountpoint), false, "unmounted once no container uses it");
        d.ok(["volume", "rm", "scratch"]);
    });
    it("binds a type=none,o=bind volume and unmounts it after its last running user stops", () => {
        const src = join(work, "shared");
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, "hello"), "from the host\n");
        d.ok(["volume", "create", "-o", "type=none", "-o", `device=${src}`, "-o", "o=bind", "hostdir"]);
        const mountpoint = d.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", "hostdir"]);
        d.ok(["run", "-d", "--name", "b1", "-v", "hostdir:/h", "bb", "sleep", "300"]);
        d.ok(["run", "-d", "--name", "b2", "-v", "hostdir:/h", "bb", "sleep", "300"]);
        assert.equal(d.ok(["exec", "b2", "cat", "/h/hello"]), "from the host");
        d.ok(["exec", "b1", "sh", "-c", "echo back > /h/written"]);
        assert.equal(readFileSync(join(src, "written"), "utf8"), "back\n");
        d.ok(["stop", "-t", "0", "b1"]);
        assert.equal(mounted(mountpoint), true, "b2 still uses it");
        d.ok(["stop", "-t", "0", "b2"]);
        assert.equal(mounted(mountpoint), false);
        d.ok(["rm", "b1", "b2"]);
        d.ok(["volume", "rm", "hostdir"]);
        assert.equal(readFileSync(join(src, "hello"), "utf8"), "from the host\n", "volume rm leaves the device alone");
    });
    it("takes driver options from --mount volume-opt and honours volume-nocopy", () => {
        const out = d.ok([
            "run",
            "--rm",
            "--mount",
            "type=volume,src=viaflag,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=4m",
            "bb",
            "grep",
            " /m ",
            "/proc/mounts",
        ]);
        assert.match(out, /^tmpfs \/m tmpfs .*size=4096k/);
        assert.equal(d.ok(["volume", "inspect", "-f", "{{.Options.type}}", "viaflag"]), "tmpfs");
        d.ok(["volume", "rm", "viaflag"]);
        d.ok(["run", "--rm", "--mount", "type=volume,src=nocopy,dst=/seed,volume-nocopy", "seeded", "true"]);
        const mp = d.ok(["volume", "inspect", "-f", "{{.Mountpoint}}", "nocopy"]);
        assert.deepEqual(d.ok(["run", "--rm", "-v", `${mp}:/x`, "bb", "ls", "-A", "/x"]), "", "nothing copied");
        d.ok(["volume", "rm", "nocopy"]);
    });
    it("rejects unknown options and reports a device that cannot be mounted", () => {
        const bad = d.docker(["volume", "create", "-o", "colour=blue", "painted"]);
        assert.equal(bad.code, 1);
        assert.match(bad.err, /invalid option key: "colour"/);
        d.ok(["volume", "create", "-o", "type=ext4", "-o", "device=/dev/berth-no-such-disk", "broken"]);
        const r = d.docker(["run", "--rm", "-v", "broken:/b", "bb", "true"]);
        assert.equal(r.code, 125);
        assert.match(r.err, /error while mounting volume '.*broken\/_data': failed to mount local volume/);
        d.docker(["container", "prune", "-f"]);
        d.ok(["volume", "rm", "broken"]);
    });
});
//# sourceMappingURL=volumes.test.js.map
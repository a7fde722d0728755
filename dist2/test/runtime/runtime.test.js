/**
 * Containers under real conmon + runc on a busybox rootfs: output reaches
 * the k8s-file log, exit codes (including 128+N for signals) are recorded,
 * create errors are classified, pause/resume, attach with stdin and a TTY,
 * ps/update, and delete leaves nothing behind.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OciRuntimeError } from "../../src/runtime/runc.js";
import { collect, fixture, waitFor } from "./fixture.js";
describe("runtime: conmon + runc", () => {
    let f;
    const exits = [];
    before(async () => {
        f = await fixture();
        f.rt.watchExits((id) => exits.push(id), 500);
    });
    after(async () => {
        await f?.teardown();
    });
    it("runs echo: the log has its output and exit 0 is recorded", async () => {
        const id = f.id("echo");
        const pid = await f.run(id, { args: ["echo", "hello"] });
        assert.ok(pid > 0);
        const st = await f.waitExit(id);
        assert.equal(st.exitCode, 0);
        assert.equal(st.oomKilled, false);
        await waitFor(() => exits.includes(id));
        const log = readFileSync(f.logPath(id), "utf8");
        assert.match(log, /^\S+ stdout F hello$/m);
    });
    it("records a non-zero exit code and stderr in the log", async () => {
        const id = f.id("exit3");
        await f.run(id, { args: ["sh", "-c", "echo oops >&2; exit 3"] });
        const st = await f.waitExit(id);
        assert.equal(st.exitCode, 3);
        assert.match(readFileSync(f.logPath(id), "utf8"), /^\S+ stderr F oops$/m);
    });
    it("classifies a missing command as not-found (127) with runc's text", async () => {
        const id = f.id("nosuch");
        const err = await f.run(id, { args: ["nosuch"] }).then(() => undefined, (e) => e);
        assert.ok(err instanceof OciRuntimeError, `got ${String(err)}`);
        assert.equal(err.reason, "not-found");
        assert.equal(err.exitCode, 127);
        assert.match(err.message, /executable file not found in \$PATH/);
        assert.equal(await f.rt.state(id), undefined);
    });
    it("classifies a non-executable file as permission denied (126)", async () => {
        const id = f.id("noexec");
        const err = await f.run(id, { args: ["/bin/notexec"] }).then(() => undefined, (e) => e);
        assert.ok(err instanceof OciRuntimeError, `got ${String(err)}`);
        assert.equal(err.reason, "permission-denied");
        assert.equal(err.exitCode, 126);
    });
    it("reports 128+N for a process killed by signal N", async () => {
        // PID 1 ignores SIGTERM without a handler: share the host's pid namespace so sleep is not PID 1.
        const id = f.id("term");
        await f.run(id, { args: ["sleep", "300"], pid: { mode: "host" } });
        assert.equal((await f.rt.state(id))?.status, "running");
        await f.rt.kill(id, 15);
        assert.equal((await f.waitExit(id)).exitCode, 143);
        const id2 = f.id("kill");
        await f.run(id2, { args: ["sleep", "300"] });
        await f.rt.kill(id2, 9);
        assert.equal((await f.waitExit(id2)).exitCode, 137);
    });
    it("pauses and resumes; ps lists the pids; update changes limits", async () => {
        const id = f.id("pause");
        const pid = await f.run(id, { args: ["sleep", "300"] });
        assert.deepEqual(await f.rt.ps(id), [pid]);
        await f.rt.pause(id);
        assert.equal((await f.rt.state(id))?.status, "paused");
        await f.rt.resume(id);
        assert.equal((await f.rt.state(id))?.status, "running");
        await f.rt.update(id, { pids: { limit: 42 } });
        const max = readFileSync(`/sys/fs/cgroup/pids${f.cgroupParent}/${id}/pids.max`, "utf8").trim();
        assert.equal(max, "42");
        await f.rt.kill(id, 9);
        assert.equal((await f.waitExit(id)).exitCode, 137);
    });
    it("passes stdin through attach; EOF closes the container's stdin", async () => {
        const id = f.id("cat");
        const spec = await f.spec(id, { args: ["cat"] });
        await f.rt.create({
            id,
            bundleDir: f.bundle(id),
            spec,
            logPath: f.logPath(id),
            terminal: false,
            openStdin: true,
            stdinOnce: true,
        });
        const a = await f.rt.attach(id, { stdin: true, tty: false });
        await f.rt.start(id);
        const out = collect(a.stdout);
        const err = collect(a.stderr);
        a.stdin.write("hi\n");
        a.stdin.end("there\n");
        assert.equal(await out, "hi\nthere\n");
        assert.equal(await err, "");
        assert.equal((await f.waitExit(id)).exitCode, 0);
        a.close();
    });
    it("runs with a TTY under conmon: output arrives and `tty` names a pts", async () => {
        const id = f.id("tty");
        const spec = await f.spec(id, { args: ["sh", "-c", "tty; stty size"], terminal: true });
        await f.rt.create({
            id,
            bundleDir: f.bundle(id),
            spec,
            logPath: f.logPath(id),
            terminal: true,
            openStdin: true,
            stdinOnce: true,
        });
        const a = await f.rt.attach(id);
        assert.equal(a.stderr, undefined);
        await a.resize(100, 30);
        await f.rt.start(id);
        const out = await collect(a.stdout);
        assert.match(out, /^\/dev\/pts\/\d+\r\n30 100\r\n$/);
        assert.equal((await f.waitExit(id)).exitCode, 0);
        assert.match(readFileSync(f.logPath(id), "utf8"), /stdout \w \/dev\/pts\/\d+/);
    });
    it("detects an OOM kill", async () => {
        const id = f.id("oom");
        // A shell variable far past a 16 MiB limit.
        await f.run(id, {
            args: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"],
            resources: { memory: 16 * 1024 * 1024, memorySwap: 16 * 1024 * 1024 },
        });
        const st = await f.waitExit(id, 30_000);
        assert.equal(st.oomKilled, true);
        assert.notEqual(st.exitCode, 0);
    });
    it("delete removes runc state, files and the cgroup", async () => {
        const id = f.id("gone");
        await f.run(id, { args: ["sleep", "300"] });
        const cg = `/sys/fs/cgroup/memory${f.cgroupParent}/${id}`;
        assert.ok(existsSync(cg));
        await assert.rejects(f.rt.delete(id, false));
        await f.rt.delete(id, true);
        assert.equal(await f.rt.state(id), undefined);
        assert.equal(existsSync(cg), false);
        assert.equal(existsSync(join(f.rt.exitDir, id)), false);
        assert.equal(existsSync(join(f.stateDir, "containers", `${id}.json`)), false);
        assert.equal(await f.rt.exitStatus(id), undefined);
    });
});
//# sourceMappingURL=runtime.test.js.map
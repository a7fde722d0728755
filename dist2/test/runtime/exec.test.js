/**
 * exec through conmon --exec into a running busybox container: exit codes,
 * separate stdout/stderr, stdin with EOF, a TTY, a missing command (127),
 * and refusal for paused and stopped containers.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isKind } from "../../src/util/errors.js";
import { collect, fixture } from "./fixture.js";
const base = (args, o = {}) => ({
    args,
    env: ["PATH=/bin"],
    cwd: "/",
    user: { uid: 0, gid: 0, additionalGids: [] },
    tty: false,
    stdin: false,
    privileged: false,
    ...o,
});
describe("runtime: exec", () => {
    let f;
    let id;
    before(async () => {
        f = await fixture();
        id = f.id("exec");
        await f.run(id, { args: ["sleep", "300"] });
    });
    after(async () => {
        await f?.teardown();
    });
    it("returns the exit code with stdout and stderr apart", async () => {
        const s = await f.rt.exec(id, base(["sh", "-c", "echo out; echo err >&2; exit 5"]));
        assert.ok(s.pid && s.pid > 0);
        const [out, err, code] = await Promise.all([collect(s.stdout), collect(s.stderr), s.exited]);
        assert.equal(out, "out\n");
        assert.equal(err, "err\n");
        assert.equal(code, 5);
    });
    it("runs as the given user in the given directory", async () => {
        const s = await f.rt.exec(id, base(["sh", "-c", "id -u; pwd"], { user: { uid: 1000, gid: 1000, additionalGids: [50] }, cwd: "/tmp" }));
        assert.equal(await collect(s.stdout), "1000\n/tmp\n");
        assert.equal(await s.exited, 0);
    });
    it("feeds stdin and closes it at EOF", async () => {
        const s = await f.rt.exec(id, base(["cat"], { stdin: true }));
        const out = collect(s.stdout);
        s.stdin.end("abc\n");
        assert.equal(await out, "abc\n");
        assert.equal(await s.exited, 0);
    });
    it("gives a TTY", async () => {
        const s = await f.rt.exec(id, base(["sh", "-c", "sleep 0.5; tty; stty size; exit 2"], { tty: true }));
        assert.equal(s.stderr, undefined);
        await s.resize(81, 23);
        const out = await collect(s.stdout);
        assert.match(out, /^\/dev\/pts\/\d+\r\n23 81\r\n$/);
        assert.equal(await s.exited, 2);
    });
    it("reports a missing command as 127 with runc's text", async () => {
        const s = await f.rt.exec(id, base(["nosuch"]));
        const err = await collect(s.stderr);
        assert.match(err, /executable file not found in \$PATH/);
        assert.equal(await s.exited, 127);
        assert.equal(s.error?.reason, "not-found");
    });
    it("can be killed, and 128+N is its code", async () => {
        const s = await f.rt.exec(id, base(["sleep", "300"]));
        s.kill();
        assert.equal(await s.exited, 137);
    });
    it("leaves no exec dirs behind", async () => {
        assert.deepEqual(readdirSync(join(f.stateDir, "exec")).filter((n) => !n.startsWith("update-")), []);
    });
    it("refuses paused and stopped containers with a Conflict", async () => {
        await f.rt.pause(id);
        try {
            await assert.rejects(f.rt.exec(id, base(["true"])), (e) => isKind(e, "Conflict") && /paused/.test(String(e)));
        }
        finally {
            await f.rt.resume(id);
        }
        await f.rt.kill(id, 9);
        await f.waitExit(id);
        await assert.rejects(f.rt.exec(id, base(["true"])), (e) => isKind(e, "Conflict") && /not running/.test(String(e)));
    });
});
//# sourceMappingURL=exec.test.js.map
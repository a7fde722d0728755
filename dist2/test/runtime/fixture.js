/**
 * A private runtime for tests: a busybox rootfs built from /bin/busybox, its
 * own state dir (runc --root, exits, sockets) under /tmp, cgroups under a
 * parent of its own, and a teardown that removes every container, conmon,
 * cgroup and file it made, even after a failure.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { effectiveCaps } from "../../src/runtime/capabilities.js";
import { removeCgroup } from "../../src/runtime/cgroups.js";
import { Runtime } from "../../src/runtime/runtime.js";
import { seccompFor } from "../../src/runtime/seccomp.js";
import { buildSpec } from "../../src/runtime/spec.js";
export const RUNC = "/usr/sbin/runc";
export const CONMON = "/usr/bin/conmon";
/** A minimal root: busybox and its applets, /etc/passwd with root and app (1000). */
export function busyboxRootfs(dir) {
    const r = join(dir, "rootfs");
    for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev", "home/app"])
        mkdirSync(join(r, d), { recursive: true });
    execFileSync("cp", ["/bin/busybox", join(r, "bin/busybox")]);
    const applets = execFileSync("/bin/busybox", ["--list"]).toString().split("\n").filter(Boolean);
    for (const a of applets)
        if (a !== "busybox")
            execFileSync("ln", ["-sf", "busybox", join(r, "bin", a)]);
    writeFileSync(join(r, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
    writeFileSync(join(r, "etc/group"), "root:x:0:\nstaff:x:50:app\napp:x:1000:\n");
    writeFileSync(join(r, "bin/notexec"), "#!/bin/sh\necho no\n");
    chmodSync(join(r, "bin/notexec"), 0o644);
    return r;
}
export async function fixture() {
    const dir = mkdtempSync("/tmp/berth-test-");
    const rootfs = busyboxRootfs(dir);
    const stateDir = join(dir, "state");
    const tag = dir.slice(-6).replace(/[^A-Za-z0-9]/g, "x");
    const cgroupParent = `/berth-test-${tag}`;
    const rt = new Runtime({ runtimePath: RUNC, conmonPath: CONMON, stateDir });
    await rt.init();
    const ids = [];
    const f = {
        dir,
        rootfs,
        stateDir,
        cgroupParent,
        rt,
        ids,
        id(name) {
            const id = `berth-test-${tag}-${name}`;
            ids.push(id);
            return id;
        },
        async spec(id, over) {
            const caps = effectiveCaps({ privileged: over.privileged, add: over.capAdd, drop: over.capDrop });
            return buildSpec({
                rootfs,
                readonlyRootfs: false,
                args: ["true"],
                env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
                cwd: "/",
                user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
                terminal: false,
                hostname: "berth-test",
                mounts: [],
                network: { mode: "private" },
                pid: { mode: "private" },
                ipc: { mode: "private" },
                uts: { mode: "private" },
                privileged: false,
                noNewPrivileges: false,
                resources: {},
                cgroupsPath: `${cgroupParent}/${id}`,
                sysctls: {},
                devices: [],
                ulimits: [],
                shmSize: 0,
                seccomp: await seccompFor([], caps),
                ...over,
            });
        },
        async run(id, over, o = {}) {
            const spec = await f.spec(id, { terminal: o.terminal ?? false, ...over });
            const { pid } = await rt.create({
                id,
                bundleDir: f.bundle(id),
                spec,
                logPath: f.logPath(id),
                terminal: o.terminal ?? false,
                openStdin: o.openStdin ?? false,
                stdinOnce: true,
            });
            await rt.start(id);
            return pid;
        },
        bundle: (id) => join(dir, "bundles", id),
        logPath: (id) => join(dir, "logs", `${id}.log`),
        async waitExit(id, timeoutMs = 15_000) {
            const end = Date.now() + timeoutMs;
            for (;;) {
                const st = await rt.exitStatus(id);
                if (st)
                    return st;
                if (Date.now() > end)
                    throw new Error(`${id} did not exit within ${timeoutMs}ms`);
                await new Promise((r) => setTimeout(r, 50));
            }
        },
        async teardown() {
            rt.close();
            for (const id of ids) {
                await rt.cleanup(id).catch(() => { });
                try {
                    execFileSync(RUNC, ["--root", join(stateDir, "runc"), "delete", "-f", id], { stdio: "ignore" });
                }
                catch {
                    // not there
                }
                await removeCgroup(`${cgroupParent}/${id}`).catch(() => { });
            }
            // Any conmon still naming our dir (an exec, a failed test) goes too.
            for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
                const cmd = (() => {
                    try {
                        return readFileSync(`/proc/${pid}/cmdline`, "utf8");
                    }
                    catch {
                        return "";
                    }
                })();
                if (cmd.startsWith(CONMON) && cmd.includes(dir)) {
                    try {
                        process.kill(Number(pid), "SIGKILL");
                    }
                    catch {
                        // gone
                    }
                }
            }
            await removeCgroup(cgroupParent).catch(() => { });
            rmSync(dir, { recursive: true, force: true });
        },
    };
    return f;
}
/** Everything a stream yields until it ends (or the timeout). */
export async function collect(s, timeoutMs = 10_000) {
    if (!s)
        return "";
    const chunks = [];
    const timer = setTimeout(() => s.destroy(new Error("collect: timed out")), timeoutMs);
    try {
        for await (const c of s)
            chunks.push(Buffer.from(c));
    }
    finally {
        clearTimeout(timer);
    }
    return Buffer.concat(chunks).toString();
}
export async function waitFor(cond, timeoutMs = 10_000) {
    const end = Date.now() + timeoutMs;
    while (!(await cond())) {
        if (Date.now() > end)
            throw new Error("waitFor: timed out");
        await new Promise((r) => setTimeout(r, 50));
    }
}
//# sourceMappingURL=fixture.js.map
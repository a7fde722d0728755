/** buildSpec, capabilities and the seccomp translation, checked against Docker's defaults. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CAPS, effectiveCaps, hostCaps } from "../../src/runtime/capabilities.js";
import { seccompFor } from "../../src/runtime/seccomp.js";
import { buildSpec, DEFAULT_MASKED, DEFAULT_READONLY, parseDeviceRule, } from "../../src/runtime/spec.js";
const input = (over = {}) => ({
    rootfs: "/tmp/rootfs",
    readonlyRootfs: false,
    args: ["sh"],
    env: ["PATH=/bin"],
    cwd: "/",
    user: { uid: 0, gid: 0, additionalGids: [], home: "/root" },
    terminal: false,
    hostname: "h",
    mounts: [],
    network: { mode: "private" },
    pid: { mode: "private" },
    ipc: { mode: "private" },
    uts: { mode: "private" },
    privileged: false,
    noNewPrivileges: false,
    resources: {},
    cgroupsPath: "/berth/x",
    sysctls: {},
    devices: [],
    ulimits: [],
    shmSize: 0,
    ...over,
});
describe("runtime: spec", () => {
    it("has Docker's defaults", () => {
        const s = buildSpec(input());
        assert.deepEqual(s.process.capabilities.bounding.sort(), [...DEFAULT_CAPS].sort());
        assert.equal(s.process.rlimits, undefined);
        assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED);
        assert.deepEqual(s.linux.readonlyPaths, DEFAULT_READONLY);
        assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ["ipc", "mount", "network", "pid", "uts"]);
        const dests = s.mounts.map((m) => m.destination);
        for (const d of ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
            assert.ok(dests.includes(d), d);
        assert.ok(s.mounts.find((m) => m.destination === "/sys").options.includes("ro"));
        assert.ok(s.mounts.find((m) => m.destination === "/dev/shm").options.includes(`size=${64 * 1024 * 1024}`));
        const devs = s.linux.resources.devices;
        assert.deepEqual(devs[0], { allow: false, access: "rwm" });
        assert.ok(devs.every((d) => d.major === undefined || d.major >= 0));
        assert.equal(s.linux.cgroupsPath, "/berth/x");
    });
    it("privileged: the host's capabilities, no masks, rw /sys, all devices", () => {
        const s = buildSpec(input({ privileged: true }));
        assert.deepEqual(s.process.capabilities.bounding, hostCaps());
        assert.ok(!hostCaps().includes("CAP_SYS_RESOURCE") ||
            s.process.capabilities.bounding.includes("CAP_SYS_RESOURCE"));
        assert.deepEqual(s.linux.maskedPaths, []);
        assert.deepEqual(s.linux.readonlyPaths, []);
        assert.ok(!s.mounts.find((m) => m.destination === "/sys").options.includes("ro"));
        assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: "rwm" }]);
    });
    it("applies cap-add/cap-drop like Docker, ALL included", () => {
        assert.ok(effectiveCaps({ add: ["NET_ADMIN"] }).includes("CAP_NET_ADMIN"));
        assert.ok(!effectiveCaps({ drop: ["chown"] }).includes("CAP_CHOWN"));
        assert.deepEqual(effectiveCaps({ drop: ["ALL"], add: ["KILL"] }), ["CAP_KILL"]);
        assert.deepEqual(effectiveCaps({ add: ["ALL"] }).sort(), hostCaps().sort());
        assert.throws(() => effectiveCaps({ add: ["BOGUS"] }), /unknown capability/);
    });
    it("namespaces: host and paths", () => {
        const s = buildSpec(input({
            network: { mode: "path", path: "/run/netns/x" },
            pid: { mode: "host" },
            ipc: { mode: "host" },
        }));
        assert.deepEqual(s.linux.namespaces.find((n) => n.type === "network"), { type: "network", path: "/run/netns/x" });
        assert.equal(s.linux.namespaces.find((n) => n.type === "pid"), undefined);
        assert.equal(s.mounts.find((m) => m.destination === "/dev/shm").type, "bind");
    });
    it("resources and explicit ulimits", () => {
        const s = buildSpec(input({
            resources: { memory: 1 << 26, nanoCpus: 1.5e9, pidsLimit: 10, cpuShares: 512, blkioWeight: 300 },
            ulimits: [{ Name: "nofile", Soft: 100, Hard: 200 }],
            deviceCgroupRules: ["c 10:* rw"],
        }));
        assert.deepEqual(s.linux.resources.memory, { limit: 1 << 26, swap: 1 << 27 });
        assert.deepEqual(s.linux.resources.cpu, { shares: 512, period: 100000, quota: 150000 });
        assert.deepEqual(s.linux.resources.pids, { limit: 10 });
        assert.deepEqual(s.linux.resources.blockIO, { weight: 300 });
        assert.deepEqual(s.process.rlimits, [{ type: "RLIMIT_NOFILE", soft: 100, hard: 200 }]);
        const devs = s.linux.resources.devices;
        assert.deepEqual(devs.at(-1), { allow: true, type: "c", major: 10, access: "rw" });
        assert.throws(() => parseDeviceRule("x 1:2 rwm"), /invalid device cgroup rule/);
    });
    it("translates the default seccomp profile, honouring capability conditions", async () => {
        const plain = (await seccompFor([], effectiveCaps({})));
        const admin = (await seccompFor([], effectiveCaps({ add: ["SYS_ADMIN"] })));
        const names = (p) => new Set(p.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW").flatMap((r) => r.names));
        assert.equal(plain.defaultAction, "SCMP_ACT_ERRNO");
        assert.ok(names(plain).has("read"));
        // containers-common's profile allows setdomainname only with CAP_SYS_ADMIN.
        assert.ok(!names(plain).has("setdomainname"));
        assert.ok(names(admin).has("setdomainname"));
        assert.equal(await seccompFor(["seccomp=unconfined"], []), undefined);
        await assert.rejects(seccompFor(["seccomp=/nonexistent.json"], []), /opening seccomp profile/);
    });
});
//# sourceMappingURL=spec.test.js.map
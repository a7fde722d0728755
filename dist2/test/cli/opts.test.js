import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { displayablePorts } from "../../src/cli/format/containers.js";
import { normalizeCap, parseCpus, parseDevice, parseEnv, parseRestart, parseThrottleBps, parseUlimit, } from "../../src/cli/opts/misc.js";
import { parseMount, parseTmpfs, parseVolume, splitCsv } from "../../src/cli/opts/mounts.js";
import { parseExpose, parsePortSpec } from "../../src/cli/opts/ports.js";
describe("-p / --publish", () => {
    it("container port only", () => {
        assert.deepEqual(parsePortSpec("80"), {
            exposed: { "80/tcp": {} },
            bindings: { "80/tcp": [{ HostIp: "", HostPort: "" }] },
        });
    });
    it("host:container, ip:host:container, ip::container, proto", () => {
        assert.deepEqual(parsePortSpec("8080:80").bindings, { "80/tcp": [{ HostIp: "", HostPort: "8080" }] });
        assert.deepEqual(parsePortSpec("127.0.0.1:8080:80/udp").bindings, {
            "80/udp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
        });
        assert.deepEqual(parsePortSpec("127.0.0.1::80").bindings, {
            "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
        });
        assert.deepEqual(parsePortSpec("[::1]:8080:80").bindings, {
            "80/tcp": [{ HostIp: "::1", HostPort: "8080" }],
        });
    });
    it("ranges", () => {
        const m = parsePortSpec("8000-8001:80-81");
        assert.deepEqual(m.bindings, {
            "80/tcp": [{ HostIp: "", HostPort: "8000" }],
            "81/tcp": [{ HostIp: "", HostPort: "8001" }],
        });
        assert.deepEqual(parsePortSpec("8000-8010:80").bindings, {
            "80/tcp": [{ HostIp: "", HostPort: "8000-8010" }],
        });
        assert.throws(() => parsePortSpec("8000-8002:80-81"), /invalid ranges/);
        assert.throws(() => parsePortSpec("70000"), /invalid port/);
        assert.throws(() => parsePortSpec("80/xyz"), /invalid proto/);
    });
    it("several bindings of one port accumulate", () => {
        const m = parsePortSpec("8080:80");
        parsePortSpec("127.0.0.1:9090:80", m);
        assert.equal(m.bindings["80/tcp"].length, 2);
    });
    it("--expose ranges", () => {
        const e = {};
        parseExpose("7000-7001/udp", e);
        assert.deepEqual(e, { "7000/udp": {}, "7001/udp": {} });
    });
    it("displays ports like docker ps", () => {
        assert.equal(displayablePorts([
            { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
            { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
            { PrivatePort: 443, Type: "tcp" },
            { PrivatePort: 444, Type: "tcp" },
        ]), "443-444/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp");
    });
});
describe("-v / --volume", () => {
    it("anonymous, named, bind, mode, relative", () => {
        assert.deepEqual(parseVolume("/data"), { anonymous: "/data" });
        assert.deepEqual(parseVolume("vol:/data"), { bind: "vol:/data" });
        assert.deepEqual(parseVolume("/host:/c:ro"), { bind: "/host:/c:ro" });
        assert.deepEqual(parseVolume("./rel:/c", "/home/x"), { bind: "/home/x/rel:/c" });
        assert.throws(() => parseVolume("data"), /must be absolute/);
        assert.throws(() => parseVolume("/a:rel"), /must be absolute/);
        assert.throws(() => parseVolume("/a:/b:bogus"), /invalid mode/);
    });
});
describe("--mount and --tmpfs", () => {
    it("bind with options", () => {
        assert.deepEqual(parseMount("type=bind,src=/tmp,dst=/m,ro,bind-propagation=rslave"), {
            Type: "bind",
            Source: "/tmp",
            Target: "/m",
            ReadOnly: true,
            BindOptions: { Propagation: "rslave" },
        });
    });
    it("volume with labels and driver options; volume by default", () => {
        assert.deepEqual(parseMount("target=/v,volume-label=a=b,volume-opt=o=1,volume-nocopy"), {
            Type: "volume",
            Target: "/v",
            VolumeOptions: { Labels: { a: "b" }, DriverConfig: { Options: { o: "1" } }, NoCopy: true },
        });
    });
    it("tmpfs size and mode", () => {
        assert.deepEqual(parseMount("type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1777"), {
            Type: "tmpfs",
            Target: "/t",
            TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 },
        });
    });
    it("errors", () => {
        assert.throws(() => parseMount("type=bind,src=/a"), /target is required/);
        assert.throws(() => parseMount("type=bind,dst=/a,volume-nocopy"), /cannot mix/);
        assert.throws(() => parseMount("type=bind,dst=/a,bogus=1"), /unexpected key/);
    });
    it("csv quoting and --tmpfs", () => {
        assert.deepEqual(splitCsv('a=1,"b=x,y",c'), ["a=1", "b=x,y", "c"]);
        const t = {};
        parseTmpfs("/run:size=64m,mode=1777", t);
        parseTmpfs("/tmp", t);
        assert.deepEqual(t, { "/run": "size=64m,mode=1777", "/tmp": "" });
    });
});
describe("other flags", () => {
    it("ulimit, device, throttle, restart, cpus, caps, env", () => {
        assert.deepEqual(parseUlimit("nofile=1024:2048"), { Name: "nofile", Hard: 2048, Soft: 1024 });
        assert.deepEqual(parseUlimit("nproc=10"), { Name: "nproc", Hard: 10, Soft: 10 });
        assert.throws(() => parseUlimit("nofile=10:5"));
        assert.deepEqual(parseDevice("/dev/null"), {
            PathOnHost: "/dev/null",
            PathInContainer: "/dev/null",
            CgroupPermissions: "rwm",
        });
        assert.deepEqual(parseDevice("/dev/null:r"), {
            PathOnHost: "/dev/null",
            PathInContainer: "/dev/null",
            CgroupPermissions: "r",
        });
        assert.deepEqual(parseDevice("/dev/null:/dev/x:rw"), {
            PathOnHost: "/dev/null",
            PathInContainer: "/dev/x",
            CgroupPermissions: "rw",
        });
        assert.deepEqual(parseThrottleBps("/dev/sda:1mb"), { Path: "/dev/sda", Rate: 1048576 });
        assert.deepEqual(parseRestart("on-failure:3"), { Name: "on-failure", MaximumRetryCount: 3 });
        assert.deepEqual(parseRestart("always"), { Name: "always", MaximumRetryCount: 0 });
        assert.throws(() => parseRestart("always:3"));
        assert.throws(() => parseRestart("sometimes"));
        assert.equal(parseCpus("1.5"), 1_500_000_000);
        assert.equal(parseCpus("0.000000001"), 1);
        assert.equal(parseCpus("2"), 2_000_000_000);
        assert.equal(normalizeCap("net_admin"), "CAP_NET_ADMIN");
        assert.equal(normalizeCap("ALL"), "ALL");
        assert.equal(parseEnv("A=1"), "A=1");
        assert.equal(parseEnv("HOMEX", { HOMEX: "/root" }), "HOMEX=/root");
        assert.equal(parseEnv("UNSET_X", {}), "UNSET_X");
    });
});
//# sourceMappingURL=opts.test.js.map
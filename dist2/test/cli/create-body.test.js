/**
 * The POST /containers/create request berth sends, compared with the one the
 * real docker CLI sends for the same flags (both captured by a fake daemon).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildCreateRequest } from "../../src/cli/opts/create.js";
import { DOCKER, FakeDaemon } from "./fake-daemon.js";
let d;
before(async () => {
    d = await new FakeDaemon((req) => req.url?.includes("/containers/create") ? { status: 500, json: { message: "captured" } } : undefined).start();
    writeFileSync(join(d.dir, "env.list"), "# comment\nFROM_FILE=1\n\nSPACED=a b\n");
    writeFileSync(join(d.dir, "labels.list"), "lf=1\nbare\n");
});
after(() => d.stop());
async function capture(cli, args) {
    const start = d.requests.length;
    const r = await d.run(cli, args);
    const req = d.requests.slice(start).find((x) => x.url.includes("/containers/create"));
    assert.ok(req, `${cli} sent no create request: ${r.stderr}`);
    return { ...req, stderr: r.stderr, code: r.code };
}
const CASES = [
    ["create", "busybox"],
    [
        "create",
        "--name",
        "foo",
        "-p",
        "8080:80",
        "-e",
        "A=1",
        "-v",
        "/tmp:/x",
        "-v",
        "/data",
        "busybox",
        "echo",
        "hi",
    ],
    [
        "create",
        "-it",
        "--name",
        "big",
        "-w",
        "/w",
        "-u",
        "1000:1000",
        "--entrypoint",
        "/bin/sh",
        "-l",
        "a=b",
        "-h",
        "hh",
        "--stop-signal",
        "SIGKILL",
        "--stop-timeout",
        "5",
        "-p",
        "127.0.0.1:8080-8081:80-81/udp",
        "-P",
        "--network",
        "mynet",
        "--network-alias",
        "al",
        "--add-host",
        "h:1.2.3.4",
        "--dns",
        "8.8.8.8",
        "--dns-search",
        "x",
        "--dns-option",
        "ndots:2",
        "--ip",
        "172.20.0.5",
        "--mount",
        "type=bind,src=/tmp,dst=/m,ro",
        "--tmpfs",
        "/t:size=64m",
        "--volumes-from",
        "other:ro",
        "--read-only",
        "-m",
        "32m",
        "--memory-swap",
        "64m",
        "--memory-reservation",
        "16m",
        "--oom-kill-disable",
        "--cpus",
        "1.5",
        "-c",
        "512",
        "--cpuset-cpus",
        "0",
        "--cpuset-mems",
        "0",
        "--pids-limit",
        "10",
        "--blkio-weight",
        "300",
        "--device-read-bps",
        "/dev/sda:1mb",
        "--device-write-bps",
        "/dev/sda:2mb",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "mknod",
        "--privileged",
        "--security-opt",
        "no-new-privileges",
        "--ulimit",
        "nofile=1024:2048",
        "--device",
        "/dev/null:/dev/xnull:rw",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--shm-size",
        "128m",
        "--ipc",
        "private",
        "--pid",
        "host",
        "--userns",
        "host",
        "--group-add",
        "10",
        "--restart",
        "on-failure:3",
        "--init",
        "--health-cmd",
        "true",
        "--health-interval",
        "5s",
        "--health-timeout",
        "2s",
        "--health-retries",
        "2",
        "--health-start-period",
        "1s",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=10m",
        "--platform",
        "linux/amd64",
        "busybox",
    ],
    [
        "run",
        "-d",
        "--rm",
        "--network",
        "none",
        "--no-healthcheck",
        "--memory-swap",
        "-1",
        "--expose",
        "90",
        "--pids-limit",
        "-1",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ],
    [
        "create",
        "-i",
        "--health-cmd",
        "exit 0",
        "--tmpfs",
        "/a",
        "--mount",
        "type=volume,dst=/v,volume-label=a=b",
        "--mount",
        "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777",
        "-v",
        "vol:/data:ro",
        "busybox",
    ],
    [
        "create",
        "--env-file",
        "ENVFILE",
        "--label-file",
        "LABELFILE",
        "-e",
        "PATH",
        "-e",
        "NOPE_UNSET",
        "--entrypoint",
        "",
        "-a",
        "stdout",
        "-t",
        "--cpu-period",
        "100000",
        "--cpu-quota",
        "50000",
        "busybox",
        "--flag-for-cmd",
    ],
    [
        "run",
        "-d",
        "--cpu-rt-runtime",
        "0",
        "--cgroupns",
        "private",
        "--uts",
        "host",
        "--oom-score-adj",
        "100",
        "--dns",
        "1.1.1.1",
        "--dns",
        "9.9.9.9",
        "--memory-swappiness",
        "10",
        "--link",
        "a:b",
        "--domainname",
        "example.com",
        "--cidfile",
        "",
        "busybox",
    ],
];
describe("create body matches the docker CLI's", {
    skip: DOCKER ? false : "no docker CLI on this machine",
}, () => {
    for (const args of CASES) {
        it(args.slice(0, 8).join(" "), async () => {
            const a = args.map((x) => x.replace("ENVFILE", join(d.dir, "env.list")).replace("LABELFILE", join(d.dir, "labels.list")));
            const docker = await capture("docker", a);
            const berth = await capture("berth", a);
            assert.equal(berth.url, docker.url);
            // docker CLI 28 passes -e through a Go map, so its Env order varies from run to run.
            const normalized = (body) => {
                const j = JSON.parse(body);
                if (Array.isArray(j.Env))
                    j.Env = [...j.Env].sort();
                return j;
            };
            assert.deepEqual(normalized(berth.body), normalized(docker.body));
            assert.equal(berth.code, 125);
            assert.match(berth.stderr, /Error response from daemon: captured/);
        });
    }
});
describe("create body errors", () => {
    it("refuses conflicting flags as docker does", () => {
        assert.throws(() => buildCreateRequest({ rm: true, restart: "always" }, "x", []), /cannot specify both --restart and --rm/);
        assert.throws(() => buildCreateRequest({ cpus: "1", cpuPeriod: "1000" }, "x", []), /Nano CPUs and CPU Period/);
        assert.throws(() => buildCreateRequest({ healthcheck: false, healthCmd: "x" }, "x", []), /conflicts/);
        assert.throws(() => buildCreateRequest({ attach: ["stdout"] }, "x", [], true), /--attach and --detach/);
    });
});
//# sourceMappingURL=create-body.test.js.map
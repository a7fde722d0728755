/**
 * berth's listings and templates against the real docker CLI's, byte for
 * byte, over the same canned daemon answers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DOCKER, FakeDaemon } from "./fake-daemon.js";
const H = (c) => c.repeat(64);
const T0 = 1600000000; // long ago: "N years ago" is stable during a test run
// Go iterates maps in random order: each image has one repository here.
const IMAGES = [
    {
        Id: `sha256:${H("a")}`,
        ParentId: "",
        RepoTags: ["busybox:latest", "busybox:1.36"],
        RepoDigests: [`busybox@sha256:${H("d")}`],
        Created: T0,
        Size: 4261613,
        SharedSize: -1,
        VirtualSize: 4261613,
        Labels: null,
        Containers: -1,
    },
    {
        Id: `sha256:${H("b")}`,
        ParentId: "",
        RepoTags: ["<none>:<none>"],
        RepoDigests: ["<none>@<none>"],
        Created: T0 - 86400 * 30,
        Size: 999999,
        SharedSize: -1,
        Labels: {},
        Containers: -1,
    },
    {
        Id: `sha256:${H("c")}`,
        ParentId: "",
        RepoTags: ["localhost:5000/team/a-rather-long-repository-name:some-long-tag"],
        RepoDigests: [`localhost:5000/team/a-rather-long-repository-name@sha256:${H("9")}`],
        Created: T0 - 86400 * 400,
        Size: 123456789,
        SharedSize: -1,
        Labels: {},
        Containers: -1,
    },
];
const CONTAINERS = [
    {
        Id: H("1"),
        Names: ["/web", "/other/alias"],
        Image: "busybox",
        ImageID: `sha256:${H("a")}`,
        Command: "sh -c 'while true; do sleep 1; done'",
        Created: T0,
        Ports: [
            { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
            { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
            { PrivatePort: 443, Type: "tcp" },
            { PrivatePort: 444, Type: "tcp" },
        ],
        Labels: { tier: "front", a: "1" },
        State: "running",
        Status: "Up 3 seconds",
        SizeRw: 1234,
        SizeRootFs: 4262847,
        HostConfig: { NetworkMode: "bridge" },
        NetworkSettings: { Networks: { bridge: {} } },
        Mounts: [
            {
                Type: "volume",
                Name: "averyveryverylongvolumename",
                Source: "/var/lib/x",
                Destination: "/data",
                Driver: "local",
                Mode: "",
                RW: true,
                Propagation: "",
            },
        ],
    },
    {
        Id: H("2"),
        Names: ["/db"],
        Image: `sha256:${H("b")}`,
        ImageID: `sha256:${H("b")}`,
        Command: "true",
        Created: T0 - 100,
        Ports: [],
        Labels: {},
        State: "exited",
        Status: "Exited (0) 5 seconds ago",
        SizeRw: 0,
        SizeRootFs: 0,
        HostConfig: { NetworkMode: "none" },
        NetworkSettings: { Networks: {} },
        Mounts: [],
    },
];
const HISTORY = [
    {
        Id: `sha256:${H("a")}`,
        Created: T0,
        CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]',
        Tags: ["busybox:latest"],
        Size: 0,
        Comment: "",
    },
    {
        Id: "<missing>",
        Created: T0 - 10,
        CreatedBy: "/bin/sh -c #(nop) ADD file:abcdef0123456789abcdef in / ",
        Tags: null,
        Size: 4261613,
        Comment: "imported from -",
    },
];
const INSPECT = {
    Id: H("1"),
    Name: "/web",
    Path: "sh",
    Args: ["-c", "x"],
    State: {
        Status: "running",
        Running: true,
        Paused: false,
        Pid: 1234,
        ExitCode: 0,
        StartedAt: "2020-09-13T12:26:40.123456789Z",
        Health: null,
    },
    Config: {
        Cmd: ["sh", "-c", "x"],
        Env: ["PATH=/bin"],
        Entrypoint: null,
        Labels: { tier: "front" },
        Volumes: null,
        Hostname: "abc",
        User: "",
    },
    HostConfig: {
        Memory: 33554432,
        NanoCpus: 1500000000,
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        Tmpfs: { "/t": "size=64m" },
        ReadonlyRootfs: false,
        PidsLimit: null,
    },
    NetworkSettings: {
        Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] },
        Networks: { bridge: { IPAddress: "172.17.0.2" } },
    },
    Mounts: [{ Type: "volume", Name: "v1", Source: "/x", Destination: "/data", RW: true }],
    RestartCount: 2,
};
let d;
before(async () => {
    d = await new FakeDaemon((req) => {
        const u = new URL(req.url ?? "/", "http://x");
        const p = u.pathname.replace(/^\/v[0-9.]+/, "");
        if (p === "/images/json")
            return { json: IMAGES };
        if (p === "/containers/json")
            return { json: CONTAINERS };
        if (p.endsWith("/history"))
            return { json: HISTORY };
        if (p === `/containers/web/json` || p === `/containers/${H("1")}/json`)
            return { json: INSPECT };
        if (p.startsWith("/containers/") && p.endsWith("/json"))
            return { status: 404, json: { message: `No such container: ${p.split("/")[2]}` } };
        if (p.startsWith("/images/") && p.endsWith("/json"))
            return { status: 404, json: { message: "No such image" } };
        if (p.startsWith("/networks/"))
            return { status: 404, json: { message: `network ${p.split("/")[2]} not found` } };
        if (p.startsWith("/volumes/"))
            return { status: 404, json: { message: `get ${p.split("/")[2]}: no such volume` } };
        if (p.startsWith("/plugins/"))
            return { status: 404, json: { message: `plugin "${p.split("/")[2]}" not found` } };
        if (p === "/info")
            return { json: { ServerVersion: "x", OSType: "linux" } };
        if (p === "/volumes")
            return {
                json: {
                    Volumes: [
                        { Name: "v1", Driver: "local", Mountpoint: "/m/v1", Labels: { a: "b" }, Scope: "local" },
                        { Name: H("e"), Driver: "local", Mountpoint: "/m/e", Labels: null, Scope: "local" },
                    ],
                    Warnings: [],
                },
            };
        if (p === "/networks")
            return {
                json: [
                    {
                        Name: "bridge",
                        Id: H("f"),
                        Created: "2020-09-13T12:26:40.123456789Z",
                        Scope: "local",
                        Driver: "bridge",
                        EnableIPv6: false,
                        Internal: false,
                        Labels: {},
                    },
                ],
            };
        return undefined;
    }).start();
});
after(() => d.stop());
const CASES = [
    ["images"],
    ["images", "--digests"],
    ["images", "--no-trunc"],
    ["images", "-q"],
    ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"],
    ["images", "--format", "table {{.ID}}\\t{{.Repository}}\\t{{.CreatedAt}}"],
    ["images", "--format", "{{json .}}"],
    ["ps", "-a"],
    ["ps", "-a", "-s"],
    ["ps", "-a", "--no-trunc"],
    ["ps", "-aq"],
    ["ps", "-a", "--format", "table {{.Names}}\\t{{.Labels}}\\t{{.Mounts}}\\t{{.LocalVolumes}}\\t{{.State}}"],
    ["ps", "-a", "--format", '{{.ID}} {{.Label "tier"}} {{.Ports}} {{.RunningFor}} {{.Image}} {{.Command}}'],
    ["ps", "-a", "--format", "{{json .}}"],
    ["history", "busybox"],
    ["history", "--no-trunc", "busybox"],
    ["history", "-q", "busybox"],
    ["history", "--format", "{{.CreatedBy}}|{{.Comment}}", "busybox"],
    [
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}} {{json .Config.Cmd}} {{.HostConfig.Memory}}",
        "web",
    ],
    [
        "inspect",
        "-f",
        '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}} {{index .Config.Labels "tier"}} {{len .Config.Env}}',
        "web",
    ],
    [
        "inspect",
        "-f",
        '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}} {{.NetworkSettings.Networks.bridge.IPAddress}} {{json .HostConfig.Tmpfs}}',
        "web",
    ],
    [
        "inspect",
        "-f",
        "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.RestartCount}} {{json .Config.Entrypoint}}",
        "web",
    ],
    ["inspect", "web"],
    ["inspect", "nosuch"],
    ["volume", "ls"],
    ["volume", "ls", "-q"],
    ["network", "ls"],
];
describe("output matches the docker CLI's", {
    skip: DOCKER ? false : "no docker CLI on this machine",
}, () => {
    for (const args of CASES) {
        it(args.join(" "), async () => {
            const docker = await d.run("docker", args);
            const berth = await d.run("berth", args);
            assert.equal(berth.stdout, docker.stdout);
            assert.equal(berth.code, docker.code, `exit code; docker said ${docker.stderr}`);
            if (docker.code !== 0)
                assert.equal(berth.stderr, docker.stderr);
        });
    }
});
//# sourceMappingURL=output.test.js.map
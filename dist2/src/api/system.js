/** System routes: /_ping, /version, /info, /events, /system/df. */
import { readFileSync } from "node:fs";
import { cpus, hostname, release, totalmem } from "node:os";
import { diskUsage } from "../engine/df.js";
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from "../engine/engine.js";
import { parseFilters } from "../engine/filters.js";
import { sendJson } from "./router.js";
function osName() {
    try {
        const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
        return m?.[1] ?? "Linux";
    }
    catch {
        return "Linux";
    }
}
function cgroupVersion() {
    try {
        readFileSync("/sys/fs/cgroup/cgroup.controllers");
        return "2";
    }
    catch {
        return "1";
    }
}
export function systemRoutes(r, engine) {
    const ping = (ctx) => {
        ctx.res.writeHead(200, {
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-cache, no-store, must-revalidate",
            Pragma: "no-cache",
            "API-Version": API_VERSION,
            "Builder-Version": "1",
            "Docker-Experimental": "false",
            OSType: "linux",
        });
        ctx.res.end(ctx.req.method === "HEAD" ? undefined : "OK");
    };
    r.get("/_ping", ping);
    r.head("/_ping", ping);
    r.get("/version", (ctx) => {
        const arch = process.arch === "x64" ? "amd64" : process.arch;
        sendJson(ctx, 200, {
            Platform: { Name: "berth" },
            Components: [
                {
                    Name: "Engine",
                    Version: ENGINE_VERSION,
                    Details: {
                        ApiVersion: API_VERSION,
                        MinAPIVersion: MIN_API_VERSION,
                        Os: "linux",
                        Arch: arch,
                        KernelVersion: release(),
                    },
                },
            ],
            Version: ENGINE_VERSION,
            ApiVersion: API_VERSION,
            MinAPIVersion: MIN_API_VERSION,
            GitCommit: "berth",
            GoVersion: `node${process.versions.node}`,
            Os: "linux",
            Arch: arch,
            KernelVersion: release(),
            BuildTime: new Date(0).toISOString(),
        });
    });
    r.get("/info", async (ctx) => {
        const counts = engine.containerCounts();
        const arch = process.arch === "x64" ? "x86_64" : process.arch;
        sendJson(ctx, 200, {
            ID: engine.daemonId,
            Containers: counts.total,
            ContainersRunning: counts.running,
            ContainersPaused: counts.paused,
            ContainersStopped: counts.stopped,
            Images: engine.imageStore.list().length,
            Driver: "overlay2",
            DriverStatus: [
                ["Backing Filesystem", "extfs"],
                ["Supports d_type", "true"],
                ["Native Overlay Diff", "true"],
            ],
            Plugins: {
                Volume: ["local"],
                Network: ["bridge", "host", "none"],
                Authorization: null,
                Log: ["json-file"],
            },
            MemoryLimit: true,
            SwapLimit: true,
            KernelMemory: false,
            CpuCfsPeriod: true,
            CpuCfsQuota: true,
            CPUShares: true,
            CPUSet: true,
            PidsLimit: true,
            IPv4Forwarding: true,
            BridgeNfIptables: true,
            BridgeNfIp6tables: true,
            Debug: engine.config.logLevel === "debug",
            NFd: 0,
            OomKillDisable: true,
            NGoroutines: 0,
            SystemTime: new Date().toISOString(),
            LoggingDriver: "json-file",
            CgroupDriver: "cgroupfs",
            CgroupVersion: cgroupVersion(),
            NEventsListener: 0,
            KernelVersion: release(),
            OperatingSystem: osName(),
            OSVersion: "",
            OSType: "linux",
            Architecture: arch,
            IndexServerAddress: "https://index.docker.io/v1/",
            RegistryConfig: {
                AllowNondistributableArtifactsCIDRs: [],
                AllowNondistributableArtifactsHostnames: [],
                InsecureRegistryCIDRs: ["127.0.0.0/8"],
                IndexConfigs: {},
                Mirrors: engine.config.registryMirrors,
            },
            NCPU: cpus().length,
            MemTotal: totalmem(),
            GenericResources: null,
            DockerRootDir: engine.config.root,
            HttpProxy: "",
            HttpsProxy: "",
            NoProxy: "",
            Name: hostname(),
            Labels: [],
            ExperimentalBuild: false,
            ServerVersion: ENGINE_VERSION,
            Runtimes: Object.fromEntries(Object.entries(engine.config.runtimes).map(([k, v]) => [k, { path: v }])),
            DefaultRuntime: engine.config.defaultRuntime,
            Swarm: {
                NodeID: "",
                NodeAddr: "",
                LocalNodeState: "inactive",
                ControlAvailable: false,
                Error: "",
                RemoteManagers: null,
            },
            LiveRestoreEnabled: true,
            Isolation: "",
            InitBinary: engine.config.init,
            ContainerdCommit: { ID: "", Expected: "" },
            RuncCommit: { ID: "", Expected: "" },
            InitCommit: { ID: "", Expected: "" },
            SecurityOptions: [
                "name=seccomp,profile=default",
                ...(engine.config.usernsRemap ? ["name=userns"] : []),
            ],
            Warnings: null,
        });
    });
    r.get("/system/df", async (ctx) => sendJson(ctx, 200, await diskUsage(engine)));
    r.get("/events", (ctx) => {
        const filters = parseFilters(ctx.query.get("filters"));
        const toNs = (v) => {
            if (!v)
                return undefined;
            if (/^\d+(\.\d+)?$/.test(v))
                return Math.floor(Number(v) * 1e9);
            const t = Date.parse(v);
            return Number.isNaN(t) ? undefined : t * 1e6;
        };
        const since = toNs(ctx.query.get("since"));
        const until = toNs(ctx.query.get("until"));
        const matches = (e) => eventMatches(e, filters);
        ctx.res.writeHead(200, { "Content-Type": "application/json" });
        const send = (e) => {
            if (until !== undefined && e.timeNano > until)
                return;
            if (matches(e))
                ctx.res.write(`${JSON.stringify(e)}\n`);
        };
        if (since !== undefined)
            engine.events.since(since).forEach(send);
        if (until !== undefined && until <= Date.now() * 1e6) {
            ctx.res.end();
            return;
        }
        const unsubscribe = engine.events.subscribe(send);
        let timer;
        if (until !== undefined)
            timer = setTimeout(() => ctx.res.end(), until / 1e6 - Date.now());
        ctx.req.socket.on("close", () => {
            unsubscribe();
            if (timer)
                clearTimeout(timer);
        });
        // Headers out now so the client knows the stream is open.
        ctx.res.flushHeaders();
    });
}
function eventMatches(e, f) {
    const any = (k, pred) => {
        const vs = f.get(k);
        return !vs || vs.length === 0 || vs.some(pred);
    };
    const attrs = e.Actor.Attributes;
    return (any("type", (v) => v === e.Type) &&
        any("event", (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
        any("container", (v) => e.Type === "container" && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
        any("image", (v) => attrs.image === v || e.Actor.ID === v || attrs.name === v) &&
        any("network", (v) => e.Type === "network" && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
        any("volume", (v) => e.Type === "volume" && e.Actor.ID === v) &&
        any("label", (v) => {
            const i = v.indexOf("=");
            return i < 0 ? v in attrs : attrs[v.slice(0, i)] === v.slice(i + 1);
        }));
}
//# sourceMappingURL=system.js.map
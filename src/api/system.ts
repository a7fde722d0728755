/** System routes: /_ping, /version, /info, /events, /system/df. */

import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { cpus, hostname, release, totalmem } from "node:os";
import { basename } from "node:path";
import { componentVersions } from "../engine/components.js";
import { diskUsage } from "../engine/df.js";
import { API_VERSION, ENGINE_VERSION, type Engine, MIN_API_VERSION } from "../engine/engine.js";
import type { EngineEvent } from "../engine/events.js";
import { checkFilterNames, parseFilters } from "../engine/filters.js";
import { BUILD } from "../util/buildinfo.js";
import { rootless } from "../util/rootless.js";
import { type Ctx, enumParam, type Router, sendJson, timeParam } from "./router.js";

const DF_TYPES = ["container", "image", "volume", "build-cache"] as const;

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    return m?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}

function cgroupVersion(): "1" | "2" {
  try {
    readFileSync("/sys/fs/cgroup/cgroup.controllers");
    return "2";
  } catch {
    return "1";
  }
}

export function systemRoutes(r: Router, engine: Engine): void {
  const ping = (ctx: Ctx) => {
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

  r.get("/version", async (ctx) => {
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    const cfg = engine.config;
    const parts = await componentVersions(cfg.runtimes[cfg.defaultRuntime] ?? "", cfg.conmon, cfg.init);
    sendJson(ctx, 200, {
      Platform: { Name: "berth" },
      Components: [
        {
          Name: "Engine",
          Version: ENGINE_VERSION,
          Details: {
            ApiVersion: API_VERSION,
            Arch: arch,
            BuildTime: BUILD.buildTime,
            Experimental: "false",
            GitCommit: BUILD.gitCommit,
            // Docker names its Go toolchain here; berth's is Node.
            GoVersion: `node${process.versions.node}`,
            KernelVersion: release(),
            MinAPIVersion: MIN_API_VERSION,
            Os: "linux",
          },
        },
        ...parts,
      ],
      Version: ENGINE_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: BUILD.gitCommit,
      GoVersion: `node${process.versions.node}`,
      Os: "linux",
      Arch: arch,
      KernelVersion: release(),
      BuildTime: BUILD.buildTime,
    });
  });

  r.get("/info", async (ctx) => {
    const counts = engine.containerCounts();
    const cfg = engine.config;
    // docker info prints "runc version", "containerd version" (conmon's here) and "init version".
    const parts = await componentVersions(cfg.runtimes[cfg.defaultRuntime] ?? "", cfg.conmon, cfg.init);
    const commit = (name: string) => {
      const c = parts.find((p) => p.Name === name);
      const git = c?.Details.GitCommit;
      const id = git && git !== "unknown" ? git : (c?.Version ?? "");
      return { ID: id, Expected: id };
    };
    const nfd = await readdir("/proc/self/fd").then(
      (l) => l.length,
      () => 0,
    );
    const arch = process.arch === "x64" ? "x86_64" : process.arch;
    const limits = !engine.config.rootless || (rootless()?.cgroupsDelegated ?? false);
    sendJson(ctx, 200, {
      ID: engine.daemonId,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: engine.imageStore.list().length,
      Driver: engine.config.storageDriver === "fuse-overlayfs" ? "fuse-overlayfs" : "overlay2",
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
      MemoryLimit: limits,
      SwapLimit: limits,
      KernelMemory: false,
      CpuCfsPeriod: limits,
      CpuCfsQuota: limits,
      CPUShares: limits,
      CPUSet: limits,
      PidsLimit: limits,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: engine.config.logLevel === "debug",
      NFd: nfd,
      OomKillDisable: limits,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: "json-file",
      // Rootless without a delegated cgroup v2 subtree: no cgroups (Docker prints "none").
      CgroupDriver: limits ? "cgroupfs" : "none",
      CgroupVersion: cgroupVersion(),
      NEventsListener: engine.events.listeners,
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
      DockerRootDir: rootless()?.dataRoot ?? engine.config.root,
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
      // Rootless containers end with berthd's namespaces.
      LiveRestoreEnabled: !engine.config.rootless,
      Isolation: "",
      InitBinary: engine.config.init,
      ContainerdCommit: commit("conmon"),
      RuncCommit: commit(basename(cfg.runtimes[cfg.defaultRuntime] ?? "runc")),
      InitCommit: commit("docker-init"),
      SecurityOptions: [
        "name=seccomp,profile=default",
        ...(engine.config.usernsRemap || engine.config.rootless ? ["name=userns"] : []),
        // docker info prints "rootless" from this, as for Docker's rootless mode.
        ...(engine.config.rootless ? ["name=rootless"] : []),
      ],
      // The docker CLI prints these under `docker info`, as Docker's "No memory limit support".
      Warnings: limits
        ? null
        : [`WARNING: rootless: ${rootless()?.cgroupsReason}: resource limits are refused`],
    });
  });

  r.get("/system/df", async (ctx) => {
    // API 1.42's type filter: refused when unknown, and each type left out when not asked for.
    const types = ctx.query.getAll("type");
    for (const t of types) enumParam(new URLSearchParams({ type: t }), "type", DF_TYPES);
    const df = await diskUsage(engine);
    if (types.length) {
      if (!types.includes("image")) df.Images = [];
      if (!types.includes("container")) df.Containers = [];
      if (!types.includes("volume")) df.Volumes = [];
      if (!types.includes("build-cache")) df.BuildCache = [];
    }
    sendJson(ctx, 200, df);
  });

  r.get("/events", (ctx) => {
    const filters = parseFilters(ctx.query.get("filters"));
    // moby's event filter keys; the swarm ones (node, service, secret, config) match nothing here.
    checkFilterNames(filters, [
      "container",
      "daemon",
      "event",
      "image",
      "label",
      "network",
      "type",
      "volume",
      "plugin",
      "scope",
      "node",
      "service",
      "secret",
      "config",
    ]);
    const toNs = (name: string) => {
      const v = ctx.query.get(name);
      // Whole nanoseconds from the text: a Date keeps only milliseconds.
      if (v && /^\d+(\.\d{1,9})?$/.test(v)) {
        const [sec, frac = ""] = v.split(".");
        return Number(sec) * 1e9 + Number(frac.padEnd(9, "0"));
      }
      const d = timeParam(ctx.query, name);
      return d ? d.getTime() * 1e6 : undefined;
    };
    const since = toNs("since");
    const until = toNs("until");
    const matches = (e: EngineEvent) => eventMatches(e, filters);
    ctx.res.writeHead(200, { "Content-Type": "application/json" });
    const send = (e: EngineEvent) => {
      if (until !== undefined && e.timeNano > until) return;
      if (matches(e)) ctx.res.write(`${JSON.stringify(e)}\n`);
    };
    if (since !== undefined) engine.events.since(since).forEach(send);
    if (until !== undefined && until <= Date.now() * 1e6) {
      ctx.res.end();
      return;
    }
    const unsubscribe = engine.events.subscribe(send);
    let timer: NodeJS.Timeout | undefined;
    if (until !== undefined) timer = setTimeout(() => ctx.res.end(), until / 1e6 - Date.now());
    ctx.req.socket.on("close", () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    });
    // Headers out now so the client knows the stream is open.
    (ctx.res as unknown as { flushHeaders(): void }).flushHeaders();
  });
}

function eventMatches(e: EngineEvent, f: Map<string, string[]>): boolean {
  const any = (k: string, pred: (v: string) => boolean) => {
    const vs = f.get(k);
    return !vs || vs.length === 0 || vs.some(pred);
  };
  const attrs = e.Actor.Attributes;
  return (
    any("type", (v) => v === e.Type) &&
    any("event", (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any("container", (v) => e.Type === "container" && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
    any("image", (v) => attrs.image === v || e.Actor.ID === v || attrs.name === v) &&
    any("network", (v) => e.Type === "network" && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
    any("volume", (v) => e.Type === "volume" && e.Actor.ID === v) &&
    any("daemon", (v) => e.Type === "daemon" && (e.Actor.ID === v || attrs.name === v)) &&
    // Every berth event is local-scoped; berth has no plugins or swarm objects.
    any("scope", (v) => v === "local") &&
    !["plugin", "node", "service", "secret", "config"].some((k) => (f.get(k)?.length ?? 0) > 0) &&
    any("label", (v) => {
      const i = v.indexOf("=");
      return i < 0 ? v in attrs : attrs[v.slice(0, i)] === v.slice(i + 1);
    })
  );
}

import { API_VERSION, CliError } from "../client.js";
import { context } from "../format/table.js";
import { execute, parseTemplate } from "../format/template.js";
import { humanSize, humanSizeWithPrecision } from "../format/units.js";
import { getTimestamp } from "../opts/units.js";
import { jsonValues } from "../stream.js";
import { collect, confirm, err, filtersJson, out, printList } from "./common.js";
export const CLI_VERSION = "0.1.0";
function clientInfo(host) {
    return {
        Platform: { Name: "berth" },
        Version: CLI_VERSION,
        ApiVersion: API_VERSION,
        APIVersion: API_VERSION,
        DefaultAPIVersion: API_VERSION,
        GitCommit: "",
        GoVersion: `node ${process.version}`,
        Os: process.platform,
        Arch: process.arch === "x64" ? "amd64" : process.arch,
        BuildTime: "",
        Context: "default",
        Host: host,
    };
}
function renderFormat(format, data) {
    out(`${execute(parseTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n")), data)}\n`);
}
const row = (label, value, indent, width) => `${indent}${`${label}:`.padEnd(width)}${value ?? ""}\n`;
async function version(ctx, o) {
    const client = clientInfo(ctx.client().host);
    let server;
    let failure;
    try {
        const v = await ctx.client().get("/version");
        server = { ...v, APIVersion: v.ApiVersion, MinAPIVersion: v.MinAPIVersion };
    }
    catch (e) {
        failure = e;
    }
    if (o.format) {
        renderFormat(o.format, { Client: client, Server: server ?? null });
    }
    else {
        let s = "Client:\n";
        s += row("Version", client.Version, " ", 19);
        s += row("API version", client.ApiVersion, " ", 19);
        s += row("Go version", client.GoVersion, " ", 19);
        s += row("Git commit", client.GitCommit, " ", 19);
        s += row("Built", client.BuildTime, " ", 19);
        s += row("OS/Arch", `${client.Os}/${client.Arch}`, " ", 19);
        s += row("Context", client.Context, " ", 19);
        if (server) {
            s += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ""}\n`;
            const comps = server.Components?.length
                ? server.Components
                : [{ Name: "Engine", Version: server.Version, Details: {} }];
            for (const c of comps) {
                s += ` ${c.Name}:\n`;
                s += row("Version", c.Version, "  ", 18);
                if (c.Name === "Engine") {
                    s += row("API version", `${server.ApiVersion} (minimum version ${server.MinAPIVersion ?? ""})`, "  ", 18);
                    s += row("Go version", server.GoVersion, "  ", 18);
                    s += row("Git commit", server.GitCommit, "  ", 18);
                    s += row("Built", server.BuildTime, "  ", 18);
                    s += row("OS/Arch", `${server.Os}/${server.Arch}`, "  ", 18);
                    s += row("Experimental", server.Experimental ?? false, "  ", 18);
                }
                else {
                    for (const [k, v] of Object.entries(c.Details ?? {}))
                        s += row(k, v, "  ", 18);
                }
            }
        }
        out(s);
    }
    if (failure)
        throw failure;
}
async function info(ctx, o) {
    const i = await ctx.client().get("/info");
    if (o.format) {
        renderFormat(o.format, { ...i, ClientInfo: clientInfo(ctx.client().host) });
        return;
    }
    const l = [];
    l.push("Client:", ` Version:    ${CLI_VERSION}`, " Context:    default", " Debug Mode: false", "");
    l.push("Server:");
    l.push(` Containers: ${i.Containers}`, `  Running: ${i.ContainersRunning}`, `  Paused: ${i.ContainersPaused}`, `  Stopped: ${i.ContainersStopped}`);
    l.push(` Images: ${i.Images}`, ` Server Version: ${i.ServerVersion}`, ` Storage Driver: ${i.Driver}`);
    for (const [k, v] of (i.DriverStatus ?? []))
        l.push(`  ${k}: ${v}`);
    l.push(` Logging Driver: ${i.LoggingDriver}`, ` Cgroup Driver: ${i.CgroupDriver}`, ` Cgroup Version: ${i.CgroupVersion}`);
    const plugins = i.Plugins ?? {};
    l.push(" Plugins:", `  Volume: ${(plugins.Volume ?? []).join(" ")}`, `  Network: ${(plugins.Network ?? []).join(" ")}`, `  Log: ${(plugins.Log ?? []).join(" ")}`);
    l.push(` Swarm: ${i.Swarm?.LocalNodeState || "inactive"}`);
    l.push(` Runtimes: ${Object.keys(i.Runtimes ?? {}).join(" ")}`, ` Default Runtime: ${i.DefaultRuntime}`);
    l.push(` Init Binary: ${i.InitBinary ?? ""}`);
    if (i.SecurityOptions?.length) {
        l.push(" Security Options:");
        for (const so of i.SecurityOptions)
            for (const part of so.split(","))
                l.push(`  ${part.replace(/^name=/, "")}`);
    }
    l.push(` Kernel Version: ${i.KernelVersion}`, ` Operating System: ${i.OperatingSystem}`, ` OSType: ${i.OSType}`);
    l.push(` Architecture: ${i.Architecture}`, ` CPUs: ${i.NCPU}`, ` Total Memory: ${humanSize(i.MemTotal ?? 0).replace(/B$/, "iB")}`);
    l.push(` Name: ${i.Name}`, ` ID: ${i.ID}`, ` Docker Root Dir: ${i.DockerRootDir}`, ` Debug Mode: ${!!i.Debug}`);
    l.push(` Experimental: ${!!i.ExperimentalBuild}`);
    const reg = i.RegistryConfig?.IndexConfigs
        ? Object.values(i.RegistryConfig.IndexConfigs).filter((c) => !c.Secure)
        : [];
    if (reg.length || i.RegistryConfig?.InsecureRegistryCIDRs?.length) {
        l.push(" Insecure Registries:");
        for (const c of reg)
            l.push(`  ${c.Name}`);
        for (const c of i.RegistryConfig?.InsecureRegistryCIDRs ?? [])
            l.push(`  ${c}`);
    }
    l.push(` Live Restore Enabled: ${!!i.LiveRestoreEnabled}`);
    out(`${l.join("\n")}\n`);
    for (const w of i.Warnings ?? [])
        err(`${w}\n`);
}
async function df(ctx, o) {
    const d = await ctx.client().get("/system/df");
    const images = d.Images ?? [];
    const containers = d.Containers ?? [];
    const volumes = d.Volumes ?? [];
    const cache = d.BuildCache ?? [];
    const pct = (r, t) => (t > 0 ? ` (${Math.trunc((r * 100) / t)}%)` : "");
    const imgSize = d.LayersSize ?? images.reduce((a, i) => a + (i.Size ?? 0), 0);
    const activeImgs = images.filter((i) => (i.Containers ?? 0) > 0);
    const usedImg = activeImgs.reduce((a, i) => a + (i.Size ?? 0) - Math.max(i.SharedSize, 0), 0);
    const cSize = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
    const cReclaim = containers.filter((c) => c.State !== "running").reduce((a, c) => a + (c.SizeRw ?? 0), 0);
    const vSize = volumes.reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const vReclaim = volumes
        .filter((v) => !(v.UsageData?.RefCount > 0))
        .reduce((a, v) => a + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const bSize = cache.reduce((a, b) => a + (b.Size ?? 0), 0);
    const bReclaim = cache.filter((b) => !b.InUse).reduce((a, b) => a + (b.Size ?? 0), 0);
    const rows = [
        {
            Type: "Images",
            TotalCount: images.length,
            Active: activeImgs.length,
            Size: humanSize(imgSize),
            Reclaimable: `${humanSize(imgSize - usedImg)}${pct(imgSize - usedImg, imgSize)}`,
        },
        {
            Type: "Containers",
            TotalCount: containers.length,
            Active: containers.filter((c) => c.State === "running").length,
            Size: humanSize(cSize),
            Reclaimable: `${humanSize(cReclaim)}${pct(cReclaim, cSize)}`,
        },
        {
            Type: "Local Volumes",
            TotalCount: volumes.length,
            Active: volumes.filter((v) => v.UsageData?.RefCount > 0).length,
            Size: humanSize(vSize),
            Reclaimable: `${humanSize(vReclaim)}${pct(vReclaim, vSize)}`,
        },
        {
            Type: "Build Cache",
            TotalCount: cache.length,
            Active: cache.filter((b) => b.InUse).length,
            Size: humanSize(bSize),
            Reclaimable: humanSize(bReclaim),
        },
    ];
    printList(rows, {
        format: o.format,
        defaultTable: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        headers: {
            Type: "TYPE",
            TotalCount: "TOTAL",
            Active: "ACTIVE",
            Size: "SIZE",
            Reclaimable: "RECLAIMABLE",
        },
    });
}
/** Prints a prune report: the deleted items then "Total reclaimed space". */
export function pruneReport(title, ids, space, withTotal = true) {
    if (ids.length)
        out(`${title}:\n${ids.join("\n")}\n\n`);
    if (withTotal)
        out(`Total reclaimed space: ${humanSize(space ?? 0)}\n`);
}
async function systemPrune(ctx, o) {
    if (!o.force) {
        let warn = "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n";
        if (o.volumes)
            warn += "  - all anonymous volumes not used by at least one container\n";
        warn += o.all
            ? "  - all images without at least one container associated to them\n"
            : "  - all dangling images\n";
        warn += "  - unused build cache\n\n";
        if (!(await confirm(`${warn}Are you sure you want to continue?`)))
            throw new CliError("", 1);
    }
    const c = ctx.client();
    const filters = filtersJson(o.filter);
    let space = 0;
    const cr = await c.post("/containers/prune", { filters });
    pruneReport("Deleted Containers", cr?.ContainersDeleted ?? [], 0, false);
    space += cr?.SpaceReclaimed ?? 0;
    const nr = await c.post("/networks/prune", { filters });
    pruneReport("Deleted Networks", nr?.NetworksDeleted ?? [], 0, false);
    if (o.volumes) {
        const vr = await c.post("/volumes/prune", { filters });
        pruneReport("Deleted Volumes", vr?.VolumesDeleted ?? [], 0, false);
        space += vr?.SpaceReclaimed ?? 0;
    }
    const f = JSON.parse(filters ?? "{}");
    f.dangling = { [o.all ? "false" : "true"]: true };
    const ir = await c.post("/images/prune", { filters: JSON.stringify(f) });
    const imgs = (ir?.ImagesDeleted ?? []).map((d) => d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`);
    pruneReport("Deleted Images", imgs, 0, false);
    space += ir?.SpaceReclaimed ?? 0;
    try {
        const br = await c.post("/build/prune", { all: o.all ? true : undefined });
        pruneReport("Deleted build cache objects", br?.CachesDeleted ?? [], 0, false);
        space += br?.SpaceReclaimed ?? 0;
    }
    catch {
        // a daemon without a build cache endpoint has nothing to reclaim there
    }
    out(`Total reclaimed space: ${humanSize(space)}\n`);
}
function eventTime(e) {
    const nanos = e.timeNano ? BigInt(e.timeNano) : BigInt(e.time ?? 0) * 1000000000n;
    const ms = Number(nanos / 1000000n);
    const d = new Date(ms);
    const off = -d.getTimezoneOffset();
    const local = new Date(ms + off * 60000).toISOString().slice(0, 19);
    const frac = String(nanos % 1000000000n).padStart(9, "0");
    const zone = off === 0
        ? "Z"
        : `${off > 0 ? "+" : "-"}${String(Math.trunc(Math.abs(off) / 60)).padStart(2, "0")}:${String(Math.abs(off) % 60).padStart(2, "0")}`;
    return `${local}.${frac}${zone}`;
}
async function events(ctx, o) {
    const query = {
        since: o.since ? getTimestamp(o.since) : undefined,
        until: o.until ? getTimestamp(o.until) : undefined,
        filters: filtersJson(o.filter),
    };
    const res = await ctx.client().request("GET", "/events", { query });
    const tmpl = o.format && o.format !== "json"
        ? parseTemplate(o.format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"))
        : undefined;
    for await (const e of jsonValues(res)) {
        if (o.format === "json" || o.format === "{{json .}}") {
            out(`${JSON.stringify(e)}\n`);
        }
        else if (tmpl) {
            out(`${execute(tmpl, e)}\n`);
        }
        else {
            const attrs = e.Actor?.Attributes ?? {};
            const keys = Object.keys(attrs).sort();
            const a = keys.length ? ` (${keys.map((k) => `${k}=${attrs[k]}`).join(", ")})` : "";
            out(`${eventTime(e)} ${e.Type} ${e.Action} ${e.Actor?.ID ?? e.id ?? ""}${a}\n`);
        }
    }
}
export function register(program, ctx) {
    program
        .command("version")
        .description("Show the berth version information")
        .option("-f, --format <string>", "Format output using a custom template")
        .action((o) => version(ctx, o));
    program
        .command("info")
        .description("Display system-wide information")
        .option("-f, --format <string>", "Format output using a custom template")
        .action((o) => info(ctx, o));
    const system = program.command("system").description("Manage berth");
    system
        .command("df")
        .description("Show berth disk usage")
        .option("--format <string>", "Format output using a custom template")
        .option("-v, --verbose", "Show detailed information on space usage")
        .action((o) => df(ctx, o));
    system
        .command("prune")
        .description("Remove unused data")
        .option("-a, --all", "Remove all unused images not just dangling ones")
        .option("-f, --force", "Do not prompt for confirmation")
        .option("--volumes", "Prune anonymous volumes")
        .option("--filter <filter>", "Provide filter values", collect, [])
        .action((o) => systemPrune(ctx, o));
    system
        .command("info")
        .option("-f, --format <string>")
        .action((o) => info(ctx, o));
    for (const p of [program, system]) {
        p.command("events")
            .description("Get real time events from the server")
            .option("-f, --filter <filter>", "Filter output based on conditions provided", collect, [])
            .option("--format <string>", "Format output using a custom template")
            .option("--since <string>", "Show all events created since timestamp")
            .option("--until <string>", "Stream events until this timestamp")
            .action((o) => events(ctx, o));
    }
    void humanSizeWithPrecision;
    void context;
}
//# sourceMappingURL=system.js.map
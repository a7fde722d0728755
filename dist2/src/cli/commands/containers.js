import { CONTAINER_HEADERS, containerContext } from "../format/containers.js";
import { collect, confirm, filtersJson, forEachName, int, out, printLines, printList, } from "./common.js";
import { addTypedInspect } from "./inspect.js";
import { pruneReport } from "./system.js";
const enc = encodeURIComponent;
async function ps(ctx, o) {
    let limit = int(o.last, -1);
    if (o.latest)
        limit = 1;
    const list = await ctx.client().get("/containers/json", {
        all: o.all || limit > 0 ? true : undefined,
        limit: limit > 0 ? limit : undefined,
        size: o.size ? true : undefined,
        filters: filtersJson(o.filter),
    });
    const trunc = o.trunc !== false;
    const rows = (list ?? []).map((c) => containerContext(c, trunc));
    if (o.quiet) {
        printLines(rows.map((r) => r.ID));
        return;
    }
    let def = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (o.size)
        def += "\t{{.Size}}";
    printList(rows, { format: o.format, defaultTable: def, headers: CONTAINER_HEADERS });
}
function simple(ctx, names, path, query = () => ({})) {
    return forEachName(names, async (n) => {
        await ctx.client().post(`/containers/${enc(n)}/${path}`, query(n));
        out(`${n}\n`);
    });
}
async function rm(ctx, names, o) {
    await forEachName(names, async (n) => {
        await ctx.client().json("DELETE", `/containers/${enc(n)}`, {
            query: {
                force: o.force ? true : undefined,
                v: o.volumes ? true : undefined,
                link: o.link ? true : undefined,
            },
        });
        out(`${n}\n`);
    });
}
async function wait(ctx, names) {
    await forEachName(names, async (n) => {
        const r = await ctx.client().post(`/containers/${enc(n)}/wait`);
        out(`${r?.StatusCode ?? 0}\n`);
    });
}
async function prune(ctx, o) {
    if (!o.force &&
        !(await confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue?")))
        return;
    const r = await ctx.client().post("/containers/prune", { filters: filtersJson(o.filter) });
    pruneReport("Deleted Containers", r?.ContainersDeleted ?? [], r?.SpaceReclaimed);
}
export function register(program, ctx) {
    const container = program.commands.find((c) => c.name() === "container") ??
        program.command("container").description("Manage containers");
    addTypedInspect(container, ctx, "container");
    for (const c of [program.command("ps"), container.command("ls").alias("list").alias("ps")]) {
        c.description("List containers")
            .option("-a, --all", "Show all containers (default shows just running)")
            .option("-f, --filter <filter>", "Filter output based on conditions provided", collect, [])
            .option("--format <string>", "Format output using a custom template")
            .option("-n, --last <int>", "Show n last created containers (includes all states)")
            .option("-l, --latest", "Show the latest created container (includes all states)")
            .option("--no-trunc", "Don't truncate output")
            .option("-q, --quiet", "Only display container IDs")
            .option("-s, --size", "Display total file sizes")
            .action((o) => ps(ctx, o));
    }
    for (const c of [program.command("stop"), container.command("stop")]) {
        c.description("Stop one or more running containers")
            .argument("<container...>")
            .option("-s, --signal <string>", "Signal to send to the container")
            .option("-t, --time <int>", "Seconds to wait before killing the container")
            .action((n, o) => simple(ctx, n, "stop", () => ({
            t: o.time === undefined ? undefined : int(o.time, 10),
            signal: o.signal,
        })));
    }
    for (const c of [program.command("restart"), container.command("restart")]) {
        c.description("Restart one or more containers")
            .argument("<container...>")
            .option("-s, --signal <string>", "Signal to send to the container")
            .option("-t, --time <int>", "Seconds to wait before killing the container")
            .action((n, o) => simple(ctx, n, "restart", () => ({
            t: o.time === undefined ? undefined : int(o.time, 10),
            signal: o.signal,
        })));
    }
    for (const c of [program.command("kill"), container.command("kill")]) {
        c.description("Kill one or more running containers")
            .argument("<container...>")
            .option("-s, --signal <string>", "Signal to send to the container")
            .action((n, o) => simple(ctx, n, "kill", () => ({ signal: o.signal })));
    }
    for (const verb of ["pause", "unpause"]) {
        for (const c of [program.command(verb), container.command(verb)]) {
            c.description(`${verb === "pause" ? "Pause" : "Unpause"} all processes within one or more containers`)
                .argument("<container...>")
                .action((n) => simple(ctx, n, verb));
        }
    }
    for (const c of [program.command("rm"), container.command("rm").alias("remove")]) {
        c.description("Remove one or more containers")
            .argument("<container...>")
            .option("-f, --force", "Force the removal of a running container (uses SIGKILL)")
            .option("-l, --link", "Remove the specified link")
            .option("-v, --volumes", "Remove anonymous volumes associated with the container")
            .action((n, o) => rm(ctx, n, o));
    }
    for (const c of [program.command("wait"), container.command("wait")]) {
        c.description("Block until one or more containers stop, then print their exit codes")
            .argument("<container...>")
            .action((n) => wait(ctx, n));
    }
    for (const c of [program.command("rename"), container.command("rename")]) {
        c.description("Rename a container")
            .argument("<container>")
            .argument("<new-name>")
            .action(async (n, nn) => {
            await ctx.client().post(`/containers/${enc(n)}/rename`, { name: nn });
        });
    }
    container
        .command("prune")
        .description("Remove all stopped containers")
        .option("-f, --force", "Do not prompt for confirmation")
        .option("--filter <filter>", "Provide filter values", collect, [])
        .action((o) => prune(ctx, o));
}
//# sourceMappingURL=containers.js.map
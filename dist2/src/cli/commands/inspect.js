import { CliError, DaemonError } from "../client.js";
import { inspectNames } from "./common.js";
const enc = encodeURIComponent;
export const getters = {
    container: (ctx, n, size) => ctx.client().get(`/containers/${enc(n)}/json`, { size: size ? true : undefined }),
    image: (ctx, n) => ctx.client().get(`/images/${n.split("/").map(enc).join("/")}/json`),
    network: (ctx, n) => ctx.client().get(`/networks/${enc(n)}`),
    volume: (ctx, n) => ctx.client().get(`/volumes/${enc(n)}`),
};
async function inspectAny(ctx, names, o) {
    const types = o.type ? [o.type] : ["container", "image", "network", "volume"];
    for (const t of types)
        if (!getters[t])
            throw new CliError(`"${t}" is not a valid value for --type`);
    await inspectNames(names, o.format, async (n) => {
        for (const t of types) {
            try {
                return await getters[t](ctx, n, o.size);
            }
            catch (e) {
                if (!(e instanceof DaemonError && (e.statusCode === 404 || e.statusCode === 400)))
                    throw e;
            }
        }
        throw new DaemonError(`No such object: ${n}`, 404);
    }, o.type ?? "object");
}
/** Adds `<group> inspect` for one type (container inspect, image inspect, ...). */
export function addTypedInspect(group, ctx, type) {
    group
        .command("inspect")
        .description(`Display detailed information on one or more ${type}s`)
        .argument(`<${type}...>`)
        .option("-f, --format <string>", "Format output using a custom template")
        .option("-s, --size", "Display total file sizes")
        .action((names, o) => inspectNames(names, o.format, (n) => getters[type](ctx, n, o.size), type));
}
export function register(program, ctx) {
    program
        .command("inspect")
        .description("Return low-level information on berth objects")
        .argument("<name...>")
        .option("-f, --format <string>", "Format output using a custom template")
        .option("-s, --size", "Display total file sizes if the type is container")
        .option("--type <string>", "Only inspect objects of the given type")
        .action((names, o) => inspectAny(ctx, names, o));
}
//# sourceMappingURL=inspect.js.map
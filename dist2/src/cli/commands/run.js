/** create and run: the create body from flags, pulling a missing image, attaching, and the exit status. */
import { writeFile } from "node:fs/promises";
import { pumpStreams, resize } from "../attach.js";
import { CliError, DaemonError } from "../client.js";
import { addCreateFlags, buildCreateRequest } from "../opts/create.js";
import { err, out } from "./common.js";
import { pullImage } from "./transfer.js";
/** docker's runStartContainerErr: 127 for a missing command, 126 for one that can't run, else 125. */
export function startErrorStatus(message) {
    if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message))
        return 127;
    if (/permission denied|is a directory/.test(message))
        return 126;
    return 125;
}
/** Creates the container, pulling its image first when missing (or always, per --pull). */
export async function createContainer(ctx, req, quiet) {
    const image = req.body.Image;
    const doPull = () => pullImage(ctx, image, { platform: req.platform, quiet, toStderr: true });
    if (req.pull === "always")
        await doPull();
    const create = () => ctx.client().post("/containers/create", { name: req.name, platform: req.platform }, req.body);
    let res;
    try {
        res = await create();
    }
    catch (e) {
        if (!(e instanceof DaemonError && e.statusCode === 404 && /no such image/i.test(e.daemonMessage)) ||
            req.pull !== "missing")
            throw e;
        err(`Unable to find image '${image.includes(":") || image.includes("@") ? image : `${image}:latest`}' locally\n`);
        await doPull();
        res = await create();
    }
    for (const w of res.Warnings ?? [])
        err(`WARNING: ${w}\n`);
    return res.Id;
}
function runError(e, cmd, status = 125) {
    const msg = e instanceof Error ? e.message : String(e);
    return new CliError(`berth: ${msg}\n\nRun 'berth ${cmd} --help' for more information`, status);
}
async function create(ctx, image, args, o) {
    let id;
    try {
        const req = buildCreateRequest(o, image, args);
        id = await createContainer(ctx, req, !!o.quiet);
    }
    catch (e) {
        throw runError(e, "create");
    }
    if (o.cidfile)
        await writeFile(o.cidfile, id);
    out(`${id}\n`);
}
async function run(ctx, image, args, o) {
    const c = ctx.client();
    let req;
    try {
        req = buildCreateRequest(o, image, args, !!o.detach);
    }
    catch (e) {
        throw runError(e, "run");
    }
    if (o.tty && o.interactive && !process.stdin.isTTY)
        throw new CliError("the input device is not a TTY", 1);
    if (o.detachKeys === undefined)
        o.detachKeys = undefined;
    let id;
    try {
        id = await createContainer(ctx, req, !!o.quiet);
    }
    catch (e) {
        throw runError(e, "run");
    }
    if (o.cidfile)
        await writeFile(o.cidfile, id);
    const body = req.body;
    const path = `/containers/${id}`;
    if (o.detach) {
        try {
            await c.post(`${path}/start`);
        }
        catch (e) {
            throw runError(e, "run", startErrorStatus(e.message));
        }
        out(`${id}\n`);
        return;
    }
    const attachAny = body.AttachStdin || body.AttachStdout || body.AttachStderr;
    const sock = attachAny
        ? await c.hijack("POST", `${path}/attach`, {
            query: {
                stream: true,
                stdin: body.AttachStdin,
                stdout: body.AttachStdout,
                stderr: body.AttachStderr,
                detachKeys: o.detachKeys,
            },
        })
        : undefined;
    // Ask for the exit status before starting, so a fast exit is not missed.
    const waitP = c.post(`${path}/wait`, { condition: o.rm ? "removed" : "next-exit" });
    waitP.catch(() => undefined);
    try {
        await c.post(`${path}/start`);
    }
    catch (e) {
        sock?.destroy();
        if (o.rm)
            await c.json("DELETE", path, { query: { force: true, v: true } }).catch(() => undefined);
        throw runError(e, "run", startErrorStatus(e.message));
    }
    if (o.tty && process.stdout.isTTY)
        await resize(c, path);
    const stopProxy = o.tty || o.sigProxy === false ? undefined : proxySignals(ctx, id);
    try {
        if (sock) {
            const detached = await pumpStreams(c, sock, {
                stdin: !!body.AttachStdin,
                tty: !!o.tty,
                detachKeys: o.detachKeys,
                resizePath: path,
            });
            if (detached) {
                process.exitCode = 0;
                return;
            }
        }
        const w = await waitP;
        if (w?.Error?.Message)
            err(`${w.Error.Message}\n`);
        process.exitCode = w?.StatusCode ?? 0;
    }
    finally {
        stopProxy?.();
    }
}
/** Forwards SIGINT/SIGTERM/SIGHUP... to the container (--sig-proxy). */
export function proxySignals(ctx, id) {
    const sigs = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
    const handlers = sigs.map((s) => {
        const h = () => void ctx
            .client()
            .post(`/containers/${id}/kill`, { signal: s })
            .catch(() => undefined);
        process.on(s, h);
        return [s, h];
    });
    return () => {
        for (const [s, h] of handlers)
            process.off(s, h);
    };
}
export function register(program, ctx) {
    const container = program.commands.find((c) => c.name() === "container") ??
        program.command("container").description("Manage containers");
    for (const c of [program.command("run"), container.command("run")]) {
        addCreateFlags(c
            .description("Create and run a new container from an image")
            .argument("<image>")
            .argument("[command...]"))
            .option("-d, --detach", "Run container in background and print container ID")
            .option("--sig-proxy [bool]", "Proxy received signals to the process", (v) => v !== "false", true)
            .option("--detach-keys <string>", "Override the key sequence for detaching a container")
            .passThroughOptions()
            .action((image, args, o) => run(ctx, image, args, o));
    }
    for (const c of [program.command("create"), container.command("create")]) {
        addCreateFlags(c.description("Create a new container").argument("<image>").argument("[command...]"))
            .passThroughOptions()
            .action((image, args, o) => create(ctx, image, args, o));
    }
}
//# sourceMappingURL=run.js.map
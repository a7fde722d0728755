import { pumpStreams, resize } from "../attach.js";
import { CliError } from "../client.js";
import { getTimestamp } from "../opts/units.js";
import { copyStdStreams } from "../stream.js";
import { collect, forEachName, out } from "./common.js";
import { proxySignals, startErrorStatus } from "./run.js";
const enc = encodeURIComponent;
async function start(ctx, names, o) {
    const c = ctx.client();
    if (o.attach || o.interactive) {
        if (names.length > 1)
            throw new CliError("you cannot start and attach multiple containers at once");
        const info = await c.get(`/containers/${enc(names[0])}/json`);
        const tty = !!info.Config?.Tty;
        const stdin = !!o.interactive && !!info.Config?.OpenStdin;
        const path = `/containers/${info.Id}`;
        const sock = await c.hijack("POST", `${path}/attach`, {
            query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys },
        });
        const waitP = c.post(`${path}/wait`, { condition: "next-exit" });
        waitP.catch(() => undefined);
        try {
            await c.post(`${path}/start`);
        }
        catch (e) {
            sock.destroy();
            throw new CliError(e.message, startErrorStatus(e.message) === 125 ? 1 : startErrorStatus(e.message));
        }
        if (tty && process.stdout.isTTY)
            await resize(c, path);
        const stop = tty ? undefined : proxySignals(ctx, info.Id);
        try {
            if (await pumpStreams(c, sock, { stdin, tty, detachKeys: o.detachKeys, resizePath: path }))
                return;
            const w = await waitP;
            process.exitCode = w?.StatusCode ?? 0;
        }
        finally {
            stop?.();
        }
        return;
    }
    await forEachName(names, async (n) => {
        await c.post(`/containers/${enc(n)}/start`);
        out(`${n}\n`);
    });
}
async function attach(ctx, name, o) {
    const c = ctx.client();
    const info = await c.get(`/containers/${enc(name)}/json`);
    if (!info.State?.Running)
        throw new CliError("You cannot attach to a stopped container, start it first");
    if (info.State?.Paused)
        throw new CliError("You cannot attach to a paused container, unpause it first");
    const tty = !!info.Config?.Tty;
    const stdin = o.stdin !== false && !!info.Config?.OpenStdin;
    const path = `/containers/${info.Id}`;
    const sock = await c.hijack("POST", `${path}/attach`, {
        query: { stream: true, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys },
    });
    if (tty && process.stdout.isTTY)
        await resize(c, path);
    const stop = tty || o.sigProxy === false ? undefined : proxySignals(ctx, info.Id);
    try {
        if (await pumpStreams(c, sock, { stdin, tty, detachKeys: o.detachKeys, resizePath: path }))
            return;
        const w = await c.post(`${path}/wait`);
        process.exitCode = w?.StatusCode ?? 0;
    }
    finally {
        stop?.();
    }
}
async function exec(ctx, name, cmd, o) {
    const c = ctx.client();
    if (o.tty && o.interactive && !process.stdin.isTTY)
        throw new CliError("the input device is not a TTY");
    const detach = !!o.detach;
    const body = {
        User: o.user ?? "",
        Privileged: !!o.privileged,
        Tty: !!o.tty,
        AttachStdin: !!o.interactive && !detach,
        AttachStderr: !detach,
        AttachStdout: !detach,
        DetachKeys: o.detachKeys ?? "",
        Env: o.env?.length ? o.env : null,
        WorkingDir: o.workdir ?? "",
        Cmd: cmd,
    };
    const created = await c.post(`/containers/${enc(name)}/exec`, undefined, body);
    const id = created.Id;
    if (detach) {
        await c.post(`/exec/${id}/start`, undefined, { Detach: true, Tty: !!o.tty });
        return;
    }
    const sock = await c.hijack("POST", `/exec/${id}/start`, { body: { Detach: false, Tty: !!o.tty } });
    if (o.tty && process.stdout.isTTY)
        await resize(c, `/exec/${id}`);
    const detached = await pumpStreams(c, sock, {
        stdin: body.AttachStdin,
        tty: !!o.tty,
        detachKeys: o.detachKeys,
        resizePath: `/exec/${id}`,
    });
    if (detached)
        return;
    const info = await c.get(`/exec/${id}/json`);
    process.exitCode = info?.ExitCode ?? 0;
}
async function logs(ctx, name, o) {
    const c = ctx.client();
    const info = await c.get(`/containers/${enc(name)}/json`);
    const res = await c.request("GET", `/containers/${enc(name)}/logs`, {
        query: {
            stdout: true,
            stderr: true,
            follow: o.follow ? true : undefined,
            since: o.since ? getTimestamp(o.since) : undefined,
            until: o.until ? getTimestamp(o.until) : undefined,
            timestamps: o.timestamps ? true : undefined,
            details: o.details ? true : undefined,
            tail: o.tail ?? "all",
        },
    });
    await copyStdStreams(res, !!info.Config?.Tty, process.stdout, process.stderr);
}
export function register(program, ctx) {
    const container = program.commands.find((c) => c.name() === "container") ??
        program.command("container").description("Manage containers");
    for (const c of [program.command("start"), container.command("start")]) {
        c.description("Start one or more stopped containers")
            .argument("<container...>")
            .option("-a, --attach", "Attach STDOUT/STDERR and forward signals")
            .option("-i, --interactive", "Attach container's STDIN")
            .option("--detach-keys <string>", "Override the key sequence for detaching a container")
            .action((n, o) => start(ctx, n, o));
    }
    for (const c of [program.command("attach"), container.command("attach")]) {
        c.description("Attach local standard input, output, and error streams to a running container")
            .argument("<container>")
            .option("--no-stdin", "Do not attach STDIN")
            .option("--sig-proxy [bool]", "Proxy all received signals to the process", (v) => v !== "false", true)
            .option("--detach-keys <string>", "Override the key sequence for detaching a container")
            .action((n, o) => attach(ctx, n, o));
    }
    for (const c of [program.command("exec"), container.command("exec")]) {
        c.description("Execute a command in a running container")
            .argument("<container>")
            .argument("<command...>")
            .option("-d, --detach", "Detached mode: run command in the background")
            .option("--detach-keys <string>", "Override the key sequence for detaching a container")
            .option("-e, --env <list>", "Set environment variables", collect, [])
            .option("-i, --interactive", "Keep STDIN open even if not attached")
            .option("--privileged", "Give extended privileges to the command")
            .option("-t, --tty", "Allocate a pseudo-TTY")
            .option("-u, --user <string>", "Username or UID (format: <name|uid>[:<group|gid>])")
            .option("-w, --workdir <string>", "Working directory inside the container")
            .passThroughOptions()
            .action((n, cmd, o) => exec(ctx, n, cmd, o));
    }
    for (const c of [program.command("logs"), container.command("logs")]) {
        c.description("Fetch the logs of a container")
            .argument("<container>")
            .option("--details", "Show extra details provided to logs")
            .option("-f, --follow", "Follow log output")
            .option("--since <string>", "Show logs since timestamp or relative")
            .option("-n, --tail <string>", 'Number of lines to show from the end of the logs (default "all")')
            .option("-t, --timestamps", "Show timestamps")
            .option("--until <string>", "Show logs before a timestamp or relative")
            .action((n, o) => logs(ctx, n, o));
    }
}
//# sourceMappingURL=io.js.map
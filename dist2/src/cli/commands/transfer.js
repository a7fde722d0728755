/** pull, push, import, load, save, login, logout: the commands that move images or credentials. */
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { encodeAuth, eraseAuth, getAuth, INDEX_SERVER, registryOf, storeAuth } from "../auth.js";
import { CliError, readBody } from "../client.js";
import { displayJSONMessages } from "../stream.js";
import { collect, err, out } from "./common.js";
import { splitRef } from "./images.js";
/** docker.io/library/busybox:latest for "busybox". */
export function fullRef(ref) {
    const r = splitRef(ref);
    let repo = r.repo;
    if (registryOf(repo) === INDEX_SERVER && !repo.startsWith("docker.io/")) {
        repo = `docker.io/${repo.includes("/") ? repo : `library/${repo}`}`;
    }
    return r.digest ? `${repo}@${r.digest}` : `${repo}:${r.tag ?? "latest"}`;
}
/** Pulls an image, showing docker's progress on `stream`; returns when done. */
export async function pullImage(ctx, ref, opts) {
    const r = splitRef(ref);
    const auth = await getAuth(registryOf(r.repo));
    const res = await ctx.client().request("POST", "/images/create", {
        query: {
            fromImage: r.repo,
            tag: opts.all ? undefined : (r.digest ?? r.tag ?? "latest"),
            platform: opts.platform,
        },
        headers: { "X-Registry-Auth": encodeAuth(auth) },
    });
    const sink = opts.toStderr ? process.stderr : process.stdout;
    if (opts.quiet) {
        await displayJSONMessages(res, new (await import("node:stream")).PassThrough().resume(), false);
    }
    else {
        await displayJSONMessages(res, sink, !!sink.isTTY);
    }
}
async function pull(ctx, ref, o) {
    if (o.allTags && splitRef(ref).tag)
        throw new CliError("tag can't be used with --all-tags/-a");
    if (!o.quiet && !o.allTags && !splitRef(ref).tag && !splitRef(ref).digest)
        out("Using default tag: latest\n");
    try {
        await pullImage(ctx, ref, { platform: o.platform, all: o.allTags, quiet: o.quiet });
    }
    catch (e) {
        if (e instanceof CliError)
            throw e;
        throw new CliError(e.message);
    }
    out(`${o.allTags ? splitRef(fullRef(ref)).repo : fullRef(ref)}\n`);
}
async function push(ctx, ref, o) {
    const r = splitRef(ref);
    const auth = await getAuth(registryOf(r.repo));
    const res = await ctx.client().request("POST", `/images/${r.repo}/push`, {
        query: {
            tag: o.allTags ? undefined : (r.tag ?? (r.digest ? undefined : "latest")),
            platform: o.platform,
        },
        headers: { "X-Registry-Auth": encodeAuth(auth) },
    });
    if (!o.quiet && !o.allTags && !r.tag && !r.digest)
        out("Using default tag: latest\n");
    try {
        await displayJSONMessages(res, o.quiet ? new (await import("node:stream")).PassThrough().resume() : process.stdout, !!process.stdout.isTTY);
    }
    catch (e) {
        throw new CliError(e.message);
    }
    if (o.quiet)
        out(`${ref}\n`);
}
async function importImage(ctx, source, repository, o) {
    const isUrl = /^(https?:\/\/)/.test(source);
    const ref = repository ? splitRef(repository) : undefined;
    const body = isUrl ? undefined : source === "-" ? process.stdin : createReadStream(source);
    if (body && source !== "-")
        await new Promise((res, rej) => body
            .once("open", () => res())
            .once("error", (_e) => rej(new CliError(`open ${source}: no such file or directory`))));
    const res = await ctx.client().request("POST", "/images/create", {
        query: {
            fromSrc: isUrl ? source : "-",
            repo: ref?.repo,
            tag: ref?.tag,
            message: o.message,
            changes: o.change,
            platform: o.platform,
        },
        body,
        headers: body ? { "Content-Type": "application/x-tar" } : {},
    });
    try {
        await displayJSONMessages(res, process.stdout, false);
    }
    catch (e) {
        throw new CliError(e.message);
    }
}
async function load(ctx, o) {
    let body;
    if (o.input) {
        const s = createReadStream(o.input);
        await new Promise((res, rej) => s
            .once("open", () => res())
            .once("error", (e) => rej(new CliError(`open ${o.input}: ${e.code === "ENOENT" ? "no such file or directory" : e.message}`))));
        body = s;
    }
    else {
        if (process.stdin.isTTY)
            throw new CliError("requested load from stdin, but stdin is empty");
        body = process.stdin;
    }
    const res = await ctx.client().request("POST", "/images/load", {
        query: { quiet: o.quiet ? true : undefined },
        body,
        headers: { "Content-Type": "application/x-tar" },
    });
    if (String(res.headers["content-type"] ?? "").includes("json")) {
        try {
            await displayJSONMessages(res, process.stdout, !!process.stdout.isTTY && !o.quiet);
        }
        catch (e) {
            throw new CliError(e.message);
        }
    }
    else {
        out((await readBody(res)).toString());
    }
}
async function save(ctx, names, o) {
    if (!o.output && process.stdout.isTTY) {
        throw new CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const res = await ctx.client().request("GET", "/images/get", { query: { names } });
    if (o.output) {
        const tmp = `${o.output}.berth-tmp-${process.pid}`;
        await pipeline(res, createWriteStream(tmp));
        await (await import("node:fs/promises")).rename(tmp, o.output);
    }
    else {
        await pipeline(res, process.stdout, { end: false });
    }
}
function readLine(prompt, hidden) {
    return new Promise((resolve) => {
        const rl = createInterface({
            input: process.stdin,
            output: process.stdout,
            terminal: !!process.stdin.isTTY,
        });
        if (hidden && process.stdin.isTTY) {
            const w = rl;
            w._writeToOutput = (s) => {
                if (s.includes(prompt))
                    process.stdout.write(prompt);
            };
        }
        rl.question(prompt, (a) => {
            rl.close();
            if (hidden)
                process.stdout.write("\n");
            resolve(a);
        });
    });
}
async function login(ctx, server, o) {
    const srv = server ? server.replace(/^https?:\/\//, "").replace(/\/.*$/, "") : INDEX_SERVER;
    const address = server && !["docker.io", "index.docker.io"].includes(srv) ? srv : INDEX_SERVER;
    let username = o.username ?? "";
    let password = o.password ?? "";
    if (o.passwordStdin) {
        if (o.password)
            throw new CliError("--password and --password-stdin are mutually exclusive");
        if (!username)
            throw new CliError("Must provide --username with --password-stdin");
        password = (await readBody(process.stdin)).toString().replace(/\r?\n$/, "");
    }
    if (o.password)
        err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (!username) {
        if (!process.stdin.isTTY)
            throw new CliError("Error: Cannot perform an interactive login from a non TTY device");
        username = (await readLine("Username: ", false)).trim();
    }
    if (!password) {
        if (!process.stdin.isTTY)
            throw new CliError("Error: Cannot perform an interactive login from a non TTY device");
        password = await readLine("Password: ", true);
    }
    if (!username || !password)
        throw new CliError("Error: Non-null Username and Password Required");
    const r = await ctx.client().post("/auth", undefined, { username, password, serveraddress: address });
    const path = await storeAuth(address, username, password, r?.IdentityToken || undefined);
    if (path)
        err(`WARNING! Your credentials are stored unencrypted in '${path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    out(`${r?.Status || "Login Succeeded"}\n`);
}
async function logout(server) {
    const srv = server ? server.replace(/^https?:\/\//, "").replace(/\/.*$/, "") : INDEX_SERVER;
    const address = server && !["docker.io", "index.docker.io"].includes(srv) ? srv : INDEX_SERVER;
    const had = await eraseAuth(address);
    out(had ? `Removing login credentials for ${address}\n` : `Not logged in to ${address}\n`);
}
export function register(program, ctx) {
    const image = program.commands.find((c) => c.name() === "image") ?? program.command("image");
    for (const c of [program.command("pull"), image.command("pull")]) {
        c.description("Download an image from a registry")
            .argument("<name>")
            .option("-a, --all-tags", "Download all tagged images in the repository")
            .option("-q, --quiet", "Suppress verbose output")
            .option("--platform <string>", "Set platform if server is multi-platform capable")
            .option("--disable-content-trust", "Skip image verification (ignored)")
            .action((n, o) => pull(ctx, n, o));
    }
    for (const c of [program.command("push"), image.command("push")]) {
        c.description("Upload an image to a registry")
            .argument("<name>")
            .option("-a, --all-tags", "Push all tags of an image to the repository")
            .option("-q, --quiet", "Suppress verbose output")
            .option("--platform <string>", "Push a platform-specific manifest")
            .option("--disable-content-trust", "Skip image signing (ignored)")
            .action((n, o) => push(ctx, n, o));
    }
    for (const c of [program.command("import"), image.command("import")]) {
        c.description("Import the contents from a tarball to create a filesystem image")
            .argument("<file|URL|->")
            .argument("[repository]")
            .option("-c, --change <list>", "Apply Dockerfile instruction to the created image", collect, [])
            .option("-m, --message <string>", "Set commit message for imported image")
            .option("--platform <string>", "Set platform if server is multi-platform capable")
            .action((s, r, o) => importImage(ctx, s, r, o));
    }
    for (const c of [program.command("load"), image.command("load")]) {
        c.description("Load an image from a tar archive or STDIN")
            .option("-i, --input <string>", "Read from tar archive file, instead of STDIN")
            .option("-q, --quiet", "Suppress the load output")
            .option("--platform <string>", "Load only the given platform (ignored)")
            .action((o) => load(ctx, o));
    }
    for (const c of [program.command("save"), image.command("save")]) {
        c.description("Save one or more images to a tar archive (streamed to STDOUT by default)")
            .argument("<image...>")
            .option("-o, --output <string>", "Write to a file, instead of STDOUT")
            .option("--platform <string>", "Save only the given platform (ignored)")
            .action((n, o) => save(ctx, n, o));
    }
    program
        .command("login")
        .description("Authenticate to a registry")
        .argument("[server]")
        .option("-u, --username <string>", "Username")
        .option("-p, --password <string>", "Password or Personal Access Token (PAT)")
        .option("--password-stdin", "Take the Password or Personal Access Token (PAT) from stdin")
        .action((s, o) => login(ctx, s, o));
    program
        .command("logout")
        .description("Log out from a registry")
        .argument("[server]")
        .action((s) => logout(s));
}
//# sourceMappingURL=transfer.js.map
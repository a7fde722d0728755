import { collectGarbage, startRegistryServer } from "../../registry/server/index.js";
import { CliError } from "../client.js";
const DEFAULT_ROOT = "/var/lib/berth-registry";
async function serve(o) {
    if (!!o.tlsCert !== !!o.tlsKey)
        throw new CliError("--tls-cert and --tls-key go together");
    if (o.tokenAuth && !o.htpasswd)
        throw new CliError("--token-auth needs --htpasswd");
    const srv = await startRegistryServer({
        addr: o.addr ?? "127.0.0.1:5000",
        root: o.root ?? DEFAULT_ROOT,
        htpasswd: o.htpasswd,
        tokenAuth: !!o.tokenAuth,
        tlsCert: o.tlsCert,
        tlsKey: o.tlsKey,
    });
    process.stdout.write(`registry listening on ${srv.url}\n`);
    await new Promise((resolve) => {
        const stop = async () => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            await srv.close();
            resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
    });
}
async function garbageCollect(o) {
    const graceSeconds = o.grace === undefined ? 3600 : Number(o.grace);
    if (!Number.isFinite(graceSeconds) || graceSeconds < 0)
        throw new CliError(`invalid --grace: ${o.grace}`);
    const result = await collectGarbage(o.root ?? DEFAULT_ROOT, {
        dryRun: o.dryRun,
        graceMs: graceSeconds * 1000,
    });
    const verb = o.dryRun ? "would delete" : "deleted";
    for (const blob of result.blobs)
        process.stdout.write(`${verb} blob ${blob}\n`);
    for (const upload of result.uploads)
        process.stdout.write(`${verb} upload ${upload}\n`);
    process.stdout.write(`${result.blobs.length} blobs, ${result.uploads.length} uploads ${verb}\n`);
}
export function register(program, _ctx) {
    const registry = program.command("registry").description("Run a registry");
    registry
        .command("serve")
        .description("Serve an OCI distribution registry from a directory")
        .option("--addr <string>", "Address to listen on", "127.0.0.1:5000")
        .option("--root <string>", "Storage directory", DEFAULT_ROOT)
        .option("--htpasswd <string>", "htpasswd file (bcrypt) for basic auth")
        .option("--token-auth", "Issue bearer tokens at /token for the htpasswd users (Docker Hub's flow)")
        .option("--tls-cert <string>", "TLS certificate file")
        .option("--tls-key <string>", "TLS key file")
        .action((o) => serve(o));
    registry
        .command("garbage-collect")
        .description("Delete blobs no manifest references (run while no push is in flight)")
        .option("--root <string>", "Storage directory", DEFAULT_ROOT)
        .option("--dry-run", "Only print what would be deleted")
        .option("--grace <seconds>", "Keep unreferenced blobs younger than this", "3600")
        .action((o) => garbageCollect(o));
}
//# sourceMappingURL=registry.js.map
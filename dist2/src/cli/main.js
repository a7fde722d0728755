#!/usr/bin/env node
/**
 * berth: a docker-compatible CLI. Parses docker's syntax with commander and
 * talks to berthd over the Engine API only (see client.ts); exits with
 * docker's statuses (1 for a failed command, 125/126/127 and the container's
 * own status for run).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { CliError } from "./client.js";
import { registerBuild } from "./commands/build.js";
import { makeCtx } from "./commands/common.js";
import { register as registerContainers } from "./commands/containers.js";
import { register as registerFilesystem } from "./commands/filesystem.js";
import { register as registerImages } from "./commands/images.js";
import { register as registerInspect } from "./commands/inspect.js";
import { register as registerIo } from "./commands/io.js";
import { register as registerMonitor } from "./commands/monitor.js";
import { register as registerNetworks } from "./commands/networks.js";
import { register as registerRegistry } from "./commands/registry.js";
import { register as registerRun } from "./commands/run.js";
import { CLI_VERSION, register as registerSystem } from "./commands/system.js";
import { register as registerTransfer } from "./commands/transfer.js";
import { register as registerVolumes } from "./commands/volumes.js";
import { TemplateError } from "./format/template.js";
/** Builds the command tree (exported for tests). */
export function buildProgram() {
    const program = new Command("berth");
    program
        .usage("[OPTIONS] COMMAND")
        .description("A docker-compatible client for berthd")
        .enablePositionalOptions()
        .option("-H, --host <string>", "Daemon socket to connect to")
        .option("--tls", "Use TLS; implied by --tlsverify")
        .option("--tlsverify", "Use TLS and verify the remote")
        .option("--tlscacert <string>", "Trust certs signed only by this CA")
        .option("--tlscert <string>", "Path to TLS certificate file")
        .option("--tlskey <string>", "Path to TLS key file")
        .option("-D, --debug", "Enable debug mode")
        .option("-l, --log-level <string>", "Set the logging level")
        .option("--config <string>", "Location of client config files")
        .option("-v, --version", "Print version information and quit")
        .action(() => {
        if (program.opts().version)
            process.stdout.write(`berth version ${CLI_VERSION}\n`);
        else
            program.help();
    });
    program.hook("preAction", () => {
        const cfg = program.opts().config;
        if (cfg)
            process.env.DOCKER_CONFIG = cfg;
    });
    const ctx = makeCtx(program);
    registerSystem(program, ctx);
    registerImages(program, ctx);
    registerTransfer(program, ctx);
    registerBuild(program, ctx);
    registerInspect(program, ctx);
    registerRun(program, ctx);
    registerContainers(program, ctx);
    registerIo(program, ctx);
    registerFilesystem(program, ctx);
    registerMonitor(program, ctx);
    registerVolumes(program, ctx);
    registerNetworks(program, ctx);
    registerRegistry(program, ctx);
    const apply = (c) => {
        c.exitOverride();
        c.configureOutput({ outputError: (s, write) => write(s) });
        for (const sub of c.commands)
            apply(sub);
    };
    apply(program);
    return program;
}
/** Flushes stdout/stderr, then exits with `code`. */
export async function exit(code) {
    await new Promise((r) => process.stdout.write("", () => r()));
    await new Promise((r) => process.stderr.write("", () => r()));
    process.exit(code);
}
async function main() {
    process.stdout.on("error", (e) => {
        if (e.code === "EPIPE")
            process.exit(0);
    });
    const program = buildProgram();
    try {
        await program.parseAsync(process.argv);
        await exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    }
    catch (e) {
        if (e instanceof CommanderError) {
            if (e.code === "commander.helpDisplayed" ||
                e.code === "commander.version" ||
                e.code === "commander.help")
                await exit(0);
            // As docker: a usage error (unknown flag, missing argument) exits 125.
            await exit(e.exitCode === 0 ? 0 : 125);
        }
        if (e instanceof CliError) {
            if (e.message)
                process.stderr.write(`${e.message}\n`);
            await exit(e.exitCode);
        }
        if (e instanceof TemplateError) {
            process.stderr.write(`${e.message}\n`);
            await exit(1);
        }
        process.stderr.write(`${e?.message ?? String(e)}\n`);
        await exit(1);
    }
}
// Run only as the entry point (tests import buildProgram).
function isEntry() {
    try {
        return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
    }
    catch {
        return false;
    }
}
if (isEntry())
    void main();
//# sourceMappingURL=main.js.map